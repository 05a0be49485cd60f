package runtime

import (
	"encoding/json"
	"fmt"

	cstorage "go.podman.io/storage"
)

// rpod before the container index kept each container in the main store,
// its record as the storage container's metadata. Such containers keep
// working where they are: found, listed, run and removed there.

// legacyLoad finds a container of the main store by id, id prefix or name.
func legacyLoad(store cstorage.Store, idOrName string) (*Container, error) {
	sc, err := store.Container(idOrName)
	if err != nil {
		return nil, err
	}
	return fromStorage(store, sc)
}

// legacyList returns the main store's rpod containers.
func legacyList(store cstorage.Store) ([]*Container, error) {
	all, err := store.Containers()
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []*Container
	for i := range all {
		if c, err := fromStorage(store, &all[i]); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

func fromStorage(store cstorage.Store, sc *cstorage.Container) (*Container, error) {
	if sc.Metadata == pinMetadata {
		return nil, fmt.Errorf("container %s: %w", sc.ID[:12], cstorage.ErrContainerUnknown)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(sc.Metadata), &cfg); err != nil {
		return nil, fmt.Errorf("container %s is not rpod's: %w", sc.ID[:12], err)
	}
	cfg.ID = sc.ID
	return &Container{Config: cfg, main: store}, nil
}
