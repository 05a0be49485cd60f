package runtime

import (
	"fmt"
	"sort"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// Changes lists what the container added, changed and deleted on top of
// its image, sorted by path as podman diff prints them.
func (c *Container) Changes() ([]archive.Change, error) {
	s, err := c.store()
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.Name, err)
	}
	sc, err := s.Container(c.ID)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", c.Name, err)
	}
	changes, err := s.Changes("", sc.LayerID)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", c.Name, err)
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, nil
}

// Mounts is how many mounts of the container's rootfs the store counts.
func (c *Container) Mounts() (int, error) {
	layer, err := c.LayerID()
	if err != nil {
		return 0, err
	}
	s, err := c.store()
	if err != nil {
		return 0, err
	}
	return s.Mounted(layer)
}

// LayerID is the container's writable layer in the store.
func (c *Container) LayerID() (string, error) {
	s, err := c.store()
	if err != nil {
		return "", fmt.Errorf("container %s: %w", c.Name, err)
	}
	sc, err := s.Container(c.ID)
	if err != nil {
		return "", fmt.Errorf("container %s: %w", c.Name, err)
	}
	return sc.LayerID, nil
}

// Store is the store that holds the container's writable layer, for
// what reads it as a layer (commit, inspect).
func (c *Container) Store() (cstorage.Store, error) { return c.store() }
