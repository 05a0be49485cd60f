package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	cstorage "go.podman.io/storage"
)

// A container's layers are in a store of its own, which sees the main
// store's images read-only: the main store does not know that an image is
// in use. A pin tells it: a container in the main store, made from the
// image with the same ID mappings, as long as one of rpod's containers
// uses them. containers/storage then refuses to remove the image, and the
// pin's mapped copy of the image's top layer (--userns=auto, keep-id) is
// recorded with the image, where each container's store finds it instead
// of making its own copy. The index counts the containers of each pin.
//
// A pin outlives its last container: making one writes the main store's
// containers and layers files, with a sync each, which a run --rm of an
// image no other container uses would pay at each start and removal.
// rpod rmi and image prune drop the pins that no container uses
// (DropStalePins) before they remove an image.

// pinMetadata marks a pin among the main store's containers.
const pinMetadata = "rpod-pin"

// pinKey is the pin of image with opts's ID mappings: the id of its
// container in the main store.
func pinKey(image string, opts *cstorage.ContainerOptions) string {
	m, _ := json.Marshal([]any{opts.UIDMap, opts.GIDMap, opts.HostUIDMapping, opts.HostGIDMapping})
	sum := sha256.Sum256(append([]byte(image+"\x00"), m...))
	return hex.EncodeToString(sum[:])
}

// pin makes the container's pin if it is the first to use it and counts
// the container in; the caller holds the index lock.
func (c *Container) pin(opts *cstorage.ContainerOptions) error {
	if c.Pin == "" {
		return nil
	}
	if _, err := c.main.Container(c.Pin); err != nil {
		if !errors.Is(err, cstorage.ErrContainerUnknown) {
			return fmt.Errorf("pin the image: %w", err)
		}
		pinOpts := &cstorage.ContainerOptions{}
		pinOpts.IDMappingOptions = opts.IDMappingOptions
		if _, err := c.main.CreateContainer(c.Pin, nil, c.ImageID, "", pinMetadata, pinOpts); err != nil {
			return fmt.Errorf("pin the image: %w", err)
		}
	}
	return c.index.AddRef(c.Pin, c.ID)
}

// DropStalePins removes the pins of image that no container uses, which
// would keep the image from removal.
func DropStalePins(store cstorage.Store, image string) error {
	x := indexOf(store)
	unlock, err := x.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	all, err := store.Containers()
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	for _, sc := range all {
		if sc.Metadata == pinMetadata && sc.ImageID == image && !x.Used(sc.ID) {
			if err := store.DeleteContainer(sc.ID); err != nil {
				return fmt.Errorf("remove an unused pin of image %.12s: %w", image, err)
			}
			if err := x.DropKey(sc.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// unpin counts the container out of its pin, which stays; the caller
// holds the index lock.
func (c *Container) unpin() {
	if c.Pin != "" {
		c.index.DropRef(c.Pin, c.ID)
	}
}
