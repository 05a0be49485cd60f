//go:build !rpodinit

package runtime

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrIncomplete is returned for a container whose creation was cut short:
// its network settings and volumes may be missing, and started it would
// run without them.
var ErrIncomplete = errors.New("its creation was cut short (rpod create or run killed midway), so its network settings and volumes may be missing")

// FinishCreate records that the container's setup after Create (network
// settings, volumes) is written: from now on it may start.
func (c *Container) FinishCreate() error {
	return c.SetState(State{Status: "created"})
}

// CheckCreated refuses to start a container whose creation was cut short:
// one still marked Creating, or one killed before Create recorded any
// state (its record and layer exist, its state file does not).
func (c *Container) CheckCreated() error {
	s, err := c.recorded()
	cutShort := err == nil && s.Creating && s.Status == "created"
	if err != nil && errors.Is(err, fs.ErrNotExist) && !c.layerGone() {
		cutShort = true
	}
	if !cutShort {
		return nil
	}
	return fmt.Errorf("cannot start %s: %w: remove it (rpod rm %s) and create it again", c.Name, ErrIncomplete, c.Name)
}
