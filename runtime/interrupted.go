package runtime

import (
	"errors"
	"io/fs"
	"os"
	"time"

	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/internal/proc"
)

// ErrRemoving is returned for a container whose removal was cut short: rpod rm finishes it.
var ErrRemoving = errors.New("its removal was cut short (rpod rm killed midway)")

// lostState is the state of a container whose state file cannot be read
// (err): a removal cut short, whose layer is already gone, is "removing",
// which rpod rm finishes; a creation cut short before it recorded a state
// is "created", as it never ran. Only an unreadable record is "unknown".
func (c *Container) lostState(err error) State {
	if c.layerGone() {
		return State{Status: "removing"}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return State{Status: "created"}
	}
	return State{Status: "unknown"}
}

// layerGone reports a legacy container whose record or writable layer the
// store no longer has: containers/storage deletes the layer first, so a
// removal began (or ended meanwhile). A container of the index has no
// state file only in the instant between its record's and its state's
// first writes: its removal records "removing" before it deletes the
// layer, and takes the record and state away in one rename.
func (c *Container) layerGone() bool {
	if c.index != nil {
		return false
	}
	sc, err := c.main.Container(c.ID)
	if err != nil {
		return errors.Is(err, cstorage.ErrContainerUnknown)
	}
	_, err = c.main.Layer(sc.LayerID)
	return errors.Is(err, cstorage.ErrLayerUnknown)
}

// markRemoving records that the container's removal has begun, so that a
// removal cut short before the layer is deleted shows as such too. gone
// reports a container that its own --rm monitor removed meanwhile.
func (c *Container) markRemoving() (gone bool) {
	s, err := c.recorded()
	if err == nil && s.MonitorPid > 0 && s.MonitorPid != os.Getpid() && proc.Alive(s.MonitorPid, s.MonitorStart) {
		// The owner of the run rm has just ended records its exit: after
		// that, not over this record, which a cut-short rm must leave.
		waitFor(10*time.Second, func() bool { return !proc.Alive(s.MonitorPid, s.MonitorStart) })
		if c.removed() {
			return true
		}
		s, err = c.recorded()
	}
	if err != nil {
		s = State{}
	}
	s.Status, s.Paused = "removing", false
	c.SetState(s)
	return false
}
