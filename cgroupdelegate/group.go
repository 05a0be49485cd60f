package cgroupdelegate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Open is the group whose leaf is at leaf, as recorded while it ran.
func Open(leaf string) *Group { return &Group{Leaf: leaf} }

// Dir opens the leaf for clone(CLONE_INTO_CGROUP). In ModeNoConmon the
// leaf exists only after the first Join: use Join there.
func (g *Group) Dir() (*os.File, error) {
	if g == nil {
		return nil, errors.New("open cgroup: the container has no cgroup of its own")
	}
	if g.pending != nil {
		return nil, errors.New("open cgroup: the container's scope starts at its first Join (--cgroups=no-conmon)")
	}
	f, err := os.Open(g.Leaf)
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", g.Leaf, unwrapPath(err))
	}
	return f, nil
}

// Join moves pid into the leaf; in ModeNoConmon the first Join starts the
// scope with pid in it.
func (g *Group) Join(pid int) error {
	if g == nil {
		return nil
	}
	if g.pending != nil {
		return g.startPending(pid)
	}
	err := movePid(g.Leaf, pid)
	if err == nil || !(errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) {
		return err
	}
	// pid is outside the scope, where the user may not move it from (the
	// login session's scope): the user's systemd can, as it did the monitor.
	unit := filepath.Base(filepath.Dir(g.Leaf))
	if !strings.HasPrefix(unit, "rpod-") || !strings.HasSuffix(unit, ".scope") {
		return err
	}
	uid := HostUID()
	conn, derr := dialUserBus(busAddresses(uid), uid)
	if derr != nil {
		return fmt.Errorf("%w (and the systemd user instance is unreachable: %v)", err, derr)
	}
	defer conn.Close()
	return attachToUnit(conn, unit, "/"+filepath.Base(g.Leaf), []int{pid})
}

// Remove deletes what Create made that systemd does not clean up itself:
// the leaf, once the container's processes are gone. Systemd removes a
// scope with its subtree when its last process exits.
func (g *Group) Remove() error {
	if g == nil || g.pending != nil || g.Leaf == "" {
		return nil
	}
	if !strings.HasPrefix(filepath.Clean(g.Leaf), cgroupRoot+"/") {
		return fmt.Errorf("remove cgroup %s: not below %s", g.Leaf, cgroupRoot)
	}
	return rmdirQuiet(g.Leaf)
}
