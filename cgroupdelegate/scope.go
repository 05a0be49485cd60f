package cgroupdelegate

import (
	"errors"
	"fmt"
	"os"
	"path"
)

// scopeStart is a scope still to be started (ModeNoConmon).
type scopeStart struct {
	host              Host
	unit, slice, desc string
	limits            Limits
}

func unitName(id string) string { return "rpod-" + id + ".scope" }

func sliceOf(o Options) string {
	if o.Parent != "" {
		return o.Parent
	}
	return "user.slice"
}

func description(id string) string { return "rpod container " + id }

// createScope starts rpod-<id>.scope with the monitor in it, then moves the
// monitor to the supervisor leaf: cgroup v2 lets a cgroup enable
// controllers for its children only while it holds no process itself.
func createScope(h Host, o Options, monitor int) (g *Group, err error) {
	conn, err := dialUserBus(h.busAddrs, h.uid)
	if err != nil {
		return nil, fmt.Errorf("connect to the systemd user instance: %w", err)
	}
	defer conn.Close()
	unit := unitName(o.ID)
	defer func() {
		// Also after a start that timed out. Stopping the scope kills its
		// monitor: only when that is not the caller (else systemd removes
		// the scope when the caller exits).
		if err != nil && monitor != os.Getpid() && !errors.Is(err, errUnitExists) {
			_ = stopUnit(conn, unit, "fail", false)
		}
	}()
	if err := startScope(conn, unit, sliceOf(o), description(o.ID), []int{monitor}); err != nil {
		return nil, err
	}
	scope, err := scopeDir(monitor, unit)
	if err != nil {
		return nil, err
	}
	sup, err := mkLeaf(scope, supervisorLeaf)
	if err != nil {
		return nil, err
	}
	if err := moveAll(scope, sup); err != nil {
		return nil, err
	}
	return setupLeaf(scope, containerLeaf, o.Limits, nil)
}

// scopeDir is the directory of unit's cgroup, where pid was put.
func scopeDir(pid int, unit string) (string, error) {
	cg, err := ownCgroup(pid)
	if err != nil {
		return "", fmt.Errorf("find the cgroup of %s: %w", unit, err)
	}
	if path.Base(cg) != unit {
		return "", fmt.Errorf("find the cgroup of %s: process %d is in %s instead", unit, pid, cg)
	}
	return fsPath(cg), nil
}

// lazyScope is the group of a ModeNoConmon container: its scope starts
// with the container's first process, at Join.
func lazyScope(h Host, o Options) *Group {
	slice := sliceOf(o)
	s := &scopeStart{host: h, unit: unitName(o.ID), slice: slice, desc: description(o.ID), limits: o.Limits}
	leaf := fsPath(path.Join(h.base, sliceDir(slice), s.unit, containerLeaf))
	return &Group{Leaf: leaf, pending: s}
}

// startPending starts the ModeNoConmon scope with pid and moves pid to the
// leaf; on failure the scope is stopped (pid is not the caller).
func (g *Group) startPending(pid int) (err error) {
	s := g.pending
	conn, err := dialUserBus(s.host.busAddrs, s.host.uid)
	if err != nil {
		return fmt.Errorf("connect to the systemd user instance: %w", err)
	}
	defer conn.Close()
	defer func() {
		if err != nil && !errors.Is(err, errUnitExists) {
			_ = stopUnit(conn, s.unit, "fail", false)
		}
	}()
	if err := startScope(conn, s.unit, s.slice, s.desc, []int{pid}); err != nil {
		return err
	}
	scope, err := scopeDir(pid, s.unit)
	if err != nil {
		return err
	}
	ng, err := setupLeaf(scope, containerLeaf, s.limits, []int{pid})
	if err != nil {
		return err
	}
	g.Leaf, g.pending = ng.Leaf, nil
	return nil
}
