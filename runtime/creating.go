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
	if _, cutShort := c.cutShort(c.recorded()); cutShort {
		return c.incomplete()
	}
	return nil
}

func (c *Container) incomplete() error {
	return fmt.Errorf("cannot start %s: %w: remove it (rpod rm %s) and create it again", c.Name, ErrIncomplete, c.Name)
}

// cutShort reads the recorded state s (err: why it could not be read) for
// a removal or a creation cut short. A state file missing while the layer
// is gone is a removal (lostState); with the layer there, a creation
// killed before Create recorded any state.
func (c *Container) cutShort(s State, err error) (removal, creation bool) {
	if err != nil {
		gone := c.layerGone()
		return gone, !gone && errors.Is(err, fs.ErrNotExist)
	}
	return s.Status == "removing", s.Creating && s.Status == "created"
}
