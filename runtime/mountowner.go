package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/atomicfile"
	"github.com/rpod/rpod/internal/proc"
)

// ownerFile names, in the container's run directory, the process that mounted
// the rootfs to run the container. It is written before the mount: an owner
// killed before it records the run (or between two runs of a restart
// policy) leaves a mount that nothing else ties to a process, and this
// record lets the next command's reaper (ReapDead) give it back.
const ownerFile = "mount.owner"

// mountOwner identifies the owning process across pid reuse.
type mountOwner struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// MountToRun mounts the container's rootfs for this process to run it,
// recording this process as the mount's owner first; release unmounts it
// and drops the record.
func (c *Container) MountToRun() (rootfs string, release func(), err error) {
	// A dead owner's mount is given back before this one is taken.
	c.ReapDead()
	// One read of the state for both refusals (creating.go).
	switch removal, creation := c.cutShort(c.recorded()); {
	case removal:
		return "", nil, fmt.Errorf("cannot start %s: %w: finish it with rpod rm -f %s", c.Name, ErrRemoving, c.Name)
	case creation:
		return "", nil, c.incomplete()
	}
	run, err := c.RunDirectory()
	if err != nil {
		return "", nil, err
	}
	p := filepath.Join(run, ownerFile)
	start, err := proc.StartTime(os.Getpid())
	if err != nil {
		return "", nil, fmt.Errorf("record the rootfs mount: %w", err)
	}
	b, _ := json.Marshal(mountOwner{Pid: os.Getpid(), Start: start})
	if err := atomicfile.WriteFile(p, b, 0o600); err != nil {
		return "", nil, fmt.Errorf("record the rootfs mount: %w", err)
	}
	rootfs, err = c.Mount()
	if err != nil {
		os.Remove(p)
		return "", nil, err
	}
	// Unmounted before the record goes: killed in between, the reaper
	// finds the mount already given back and only drops the record.
	return rootfs, func() { c.Unmount(); os.Remove(p) }, nil
}

// readOwner reads the mount's owner record in the container's run directory dir;
// ok is false when there is none.
func readOwner(dir string) (o mountOwner, ok bool) {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return o, false
	}
	if json.Unmarshal(b, &o) != nil || o.Pid <= 0 {
		// Torn by a crash: its writer is gone, whoever it was.
		return mountOwner{Pid: -1}, true
	}
	return o, true
}

// deadOwner reports an owner record in dir whose process is gone.
func deadOwner(dir string) bool {
	o, ok := readOwner(dir)
	return ok && o.dead()
}

// dead: the owner's process is gone (or its record was torn).
func (o mountOwner) dead() bool { return o.Pid <= 0 || !proc.Alive(o.Pid, o.Start) }

// giveBackMount releases one count of the rootfs mount, if it holds any:
// a dead owner may have been killed before its mount was taken, or after
// the kernel mounted the rootfs but before the store counted it, which
// leaves a mount that no count accounts for: forced, the driver takes it
// down.
func (c *Container) giveBackMount() {
	n, err := c.Mounts()
	switch {
	case err != nil:
	case n > 0:
		c.unmount(false)
	case c.uncountedMount():
		c.unmount(true)
	}
}

// uncountedMount reports the overlay driver's rootfs of the container
// mounted (a filesystem of its own, unlike its directory's).
func (c *Container) uncountedMount() bool {
	layer, err := c.LayerID()
	if err != nil {
		return false
	}
	s, err := c.store()
	if err != nil || s.GraphDriverName() != "overlay" {
		return false
	}
	merged := filepath.Join(s.GraphRoot(), "overlay", layer, "merged")
	var st, parent unix.Stat_t
	if unix.Stat(merged, &st) != nil || unix.Stat(filepath.Dir(merged), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}
