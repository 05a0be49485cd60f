package runtime

import (
	"errors"
	"fmt"

	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/ctrindex"
)

// invalidName says why podman's rule refuses name.
func invalidName(name string) error {
	return fmt.Errorf("invalid container name %q: use letters, digits, _ . and -, starting with a letter or digit", name)
}

// Rename gives the container a new name, in the index and in its record.
func (c *Container) Rename(name string) error {
	if !ctrindex.ValidName(name) {
		return invalidName(name)
	}
	if name == c.Name {
		return nil
	}
	if id, taken := nameTaken(c.main, indexOf(c.main), name); taken {
		return nameInUse(name, id)
	}
	if c.index == nil {
		return c.renameLegacy(name)
	}
	unlock, err := c.index.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := c.index.Rename(c.ID, c.Name, name); err != nil {
		if errors.Is(err, ctrindex.ErrNameInUse) {
			return fmt.Errorf("the container name %q is already in use: choose another name: %w", name, ErrNameInUse)
		}
		return fmt.Errorf("rename %s: %w", c.Name, err)
	}
	old := c.Name
	c.Name = name
	if err := c.saveConfig(); err != nil {
		c.Name = old
		c.index.Rename(c.ID, name, old)
		return fmt.Errorf("rename %s: record the new name: %w", old, err)
	}
	return nil
}

// renameLegacy renames a container an older rpod made in the main store.
func (c *Container) renameLegacy(name string) error {
	if err := c.main.SetNames(c.ID, []string{name}); err != nil {
		if errors.Is(err, cstorage.ErrDuplicateName) {
			return fmt.Errorf("the container name %q is already in use: choose another name: %w", name, ErrNameInUse)
		}
		return fmt.Errorf("rename %s: %w", c.Name, err)
	}
	old := c.Name
	c.Name = name
	if err := c.saveConfig(); err != nil {
		c.Name = old
		c.main.SetNames(c.ID, []string{old})
		return fmt.Errorf("rename %s: record the new name: %w", old, err)
	}
	return nil
}
