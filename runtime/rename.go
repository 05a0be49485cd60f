package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"

	cstorage "go.podman.io/storage"
)

// nameRE is podman's rule for container names, compiled at first use:
// a package-level regexp costs every start of rpod.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// Rename gives the container a new name, in storage and in its record.
func (c *Container) Rename(name string) error {
	if !nameRE().MatchString(name) {
		return fmt.Errorf("invalid container name %q: use letters, digits, _ . and -, starting with a letter or digit", name)
	}
	if name == c.Name {
		return nil
	}
	if other, err := c.store.Container(name); err == nil {
		return fmt.Errorf("the container name %q is already in use by %s: remove that container (rpod rm %s) or choose another name: %w", name, other.ID[:12], name, ErrNameInUse)
	}
	if err := c.store.SetNames(c.ID, []string{name}); err != nil {
		if errors.Is(err, cstorage.ErrDuplicateName) {
			return fmt.Errorf("the container name %q is already in use: choose another name: %w", name, ErrNameInUse)
		}
		return fmt.Errorf("rename %s: %w", c.Name, err)
	}
	old := c.Name
	cfg := c.Config
	cfg.Name = name
	meta, err := json.Marshal(cfg)
	if err == nil {
		err = c.store.SetMetadata(c.ID, string(meta))
	}
	if err != nil {
		c.store.SetNames(c.ID, []string{old})
		return fmt.Errorf("rename %s: record the new name: %w", old, err)
	}
	c.Name = name
	return nil
}
