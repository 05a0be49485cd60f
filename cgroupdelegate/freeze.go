package cgroupdelegate

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// freezeTimeout bounds the wait for the kernel to (un)freeze every task.
var freezeTimeout = 30 * time.Second

// Freeze freezes (true) or thaws the leaf and waits until it is.
func (g *Group) Freeze(frozen bool) error {
	if g == nil || g.Leaf == "" {
		return &unavailableError{"the container has no cgroup of its own, so it cannot be paused: " +
			"pause needs a cgroup v2 delegated to rpod (see rpod info)"}
	}
	want, verb := uint64(0), "thaw"
	if frozen {
		want, verb = 1, "freeze"
	}
	if err := writeCg(g.Leaf, "cgroup.freeze", fmt.Sprint(want)); err != nil {
		return err
	}
	deadline := time.Now().Add(freezeTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(g.Leaf, "cgroup.events"))
		if err != nil {
			return fmt.Errorf("%s cgroup %s: %w", verb, g.Leaf, err)
		}
		ev, ok := parseKeyed(string(b))["frozen"]
		if ok && ev == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s cgroup %s: %s still says frozen %d after %s", verb, g.Leaf, filepath.Join(g.Leaf, "cgroup.events"), ev, freezeTimeout)
		}
		time.Sleep(delay)
	}
}
