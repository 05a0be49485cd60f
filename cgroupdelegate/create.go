package cgroupdelegate

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

// Names of the leaves below a container's scope or delegated cgroup.
const (
	supervisorLeaf = "supervisor" // the monitor (and the caller's other processes)
	containerLeaf  = "container"  // the container's processes, in a scope
)

// Create makes the container's cgroup and moves the monitor (pid monitor,
// the caller) in beside its leaf, unless o.Mode says otherwise; it fails
// naming the fix when o.Limits need a controller that is not delegated.
// A nil Group and nil error: no cgroup (ModeDisabled, or none can be had
// and no limit was asked for). A failed Create leaves no cgroup behind,
// except the scope that holds the caller itself as monitor: systemd
// removes it when the caller exits.
func Create(o Options, monitor int) (*Group, error) {
	return CreateOn(Detect(), o, monitor)
}

// CreateOn is Create on h, what Detect said of this host a moment ago.
func CreateOn(h Host, o Options, monitor int) (*Group, error) {
	mode := o.Mode
	if mode == "" {
		mode = ModeEnabled
	}
	switch mode {
	case ModeDisabled:
		return nil, nil
	case ModeEnabled, ModeNoConmon, ModeSplit:
	default:
		return nil, fmt.Errorf("invalid --cgroups %q: use enabled, disabled, no-conmon or split", o.Mode)
	}
	if o.ID == "" {
		return nil, errors.New("create cgroup: no container id")
	}
	if monitor <= 0 {
		monitor = os.Getpid()
	}
	if err := h.Check(o.Limits); err != nil {
		return nil, err
	}
	if h.Manager == ManagerSystemd && mode != ModeSplit && o.Parent != "" && sliceDir(o.Parent) == "" {
		return nil, fmt.Errorf("invalid --cgroup-parent %q: with the systemd cgroup manager it must name a slice, e.g. user.slice or rpod.slice", o.Parent)
	}
	switch {
	case h.Manager == ManagerNone:
		return nil, nil
	case h.Manager == ManagerSystemd && mode == ModeEnabled:
		return createScope(h, o, monitor)
	case h.Manager == ManagerSystemd && mode == ModeNoConmon:
		return lazyScope(h, o), nil
	default:
		return createSub(o, monitor)
	}
}

// setupLeaf enables the parent's controllers for its children, makes the
// leaf, turns on memory.oom.group and writes the limits; on failure the
// leaf is removed again. Processes in pids are moved into the leaf first.
func setupLeaf(parent, name string, l Limits, pids []int) (*Group, error) {
	leaf, err := mkLeaf(parent, name)
	if err != nil {
		return nil, err
	}
	g := &Group{Leaf: leaf}
	err = func() error {
		for _, pid := range pids {
			if err := movePid(leaf, pid); err != nil {
				return err
			}
		}
		if err := enable(parent, controllersOf(parent)); err != nil {
			return err
		}
		// An OOM kill takes the whole container down, as a container whose
		// init was killed: the exit is 137 and nothing limps on half-dead.
		if _, err := os.Stat(filepath.Join(leaf, "memory.oom.group")); err == nil {
			if err := writeCg(leaf, "memory.oom.group", "1"); err != nil {
				return err
			}
		}
		return setLimits(leaf, l)
	}()
	if err != nil {
		_ = rmdirQuiet(leaf)
		return nil, err
	}
	return g, nil
}

// createSub makes the leaf rpod-<id> in the caller's own delegated cgroup
// C, after moving C's processes to C/supervisor (ModeSplit, or no systemd).
func createSub(o Options, monitor int) (*Group, error) {
	cg, err := ownCgroup(monitor)
	if err != nil {
		return nil, fmt.Errorf("find rpod's own cgroup: %w", err)
	}
	// A later rpod started from a shell that an earlier one moved.
	if path.Base(cg) == supervisorLeaf {
		cg = path.Dir(cg)
	}
	c := fsPath(cg)
	h := Host{Version: "v2", Manager: ManagerCgroupfs, Controllers: controllersOf(c), base: cg}
	if !writable(c) {
		return nil, &unavailableError{fmt.Sprintf("rpod's own cgroup %s is not delegated to uid %d: "+
			"run rpod from a systemd unit with Delegate=yes, or use --cgroups=enabled in a user session", c, HostUID())}
	}
	if err := h.Check(o.Limits); err != nil {
		return nil, err
	}
	sup, err := mkLeaf(c, supervisorLeaf)
	if err != nil {
		return nil, err
	}
	if err := moveAll(c, sup); err != nil {
		return nil, err
	}
	return setupLeaf(c, "rpod-"+o.ID, o.Limits, nil)
}
