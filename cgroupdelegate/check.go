package cgroupdelegate

import (
	"fmt"
	"slices"
)

// delegateFix is the drop-in that delegates every controller rpod uses.
const delegateFix = "add a drop-in /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids, " +
	"run systemctl daemon-reload and log in again"

// need is one limit's flag and the controller it needs.
type need struct{ flag, controller string }

// needs lists, in flag order, the controllers that l's set fields need.
func (l Limits) needs() []need {
	var n []need
	add := func(set bool, flag, controller string) {
		if set {
			n = append(n, need{flag, controller})
		}
	}
	add(l.MemoryMax != 0, "--memory", "memory")
	add(l.MemoryLow != 0, "--memory-reservation", "memory")
	add(l.MemorySwapMax != 0 || l.MemorySwapOff, "--memory-swap", "memory")
	add(l.CPUQuota != 0, "--cpus or --cpu-quota", "cpu") // Limits does not say which set it
	add(l.CPUPeriod != 0, "--cpu-period", "cpu")
	add(l.CPUWeight != 0, "--cpu-shares", "cpu")
	add(l.CpusetCpus != "", "--cpuset-cpus", "cpuset")
	add(l.CpusetMems != "", "--cpuset-mems", "cpuset")
	add(l.PidsMax != 0, "--pids-limit", "pids")
	add(l.IOWeight != 0, "--blkio-weight", "io")
	return n
}

// Controllers are the controllers l needs, each once.
func (l Limits) Controllers() []string {
	var c []string
	for _, n := range l.needs() {
		if !slices.Contains(c, n.controller) {
			c = append(c, n.controller)
		}
	}
	return c
}

// unavailableError wraps ErrUnavailable without repeating its text.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }
func (e *unavailableError) Unwrap() error { return ErrUnavailable }

// Check fails, naming the controller and the fix, when l needs a
// controller this host does not delegate (or no cgroup can be had at all).
func (h Host) Check(l Limits) error {
	needs := l.needs()
	if len(needs) == 0 {
		return nil
	}
	flag := needs[0].flag
	if h.Manager == ManagerNone || h.Manager == "" {
		reason := h.Reason
		if reason == "" {
			reason = "no cgroup can be had on this host"
		}
		return &unavailableError{fmt.Sprintf("%s needs a cgroup of the container's own, but %s", flag, reason)}
	}
	for _, n := range needs {
		if slices.Contains(h.Controllers, n.controller) {
			continue
		}
		if h.Manager == ManagerCgroupfs {
			return &unavailableError{fmt.Sprintf("%s needs the %s controller, which is not delegated to rpod's cgroup %s: "+
				"run rpod from a systemd unit with Delegate=cpu cpuset io memory pids, or in a user session whose user@.service delegates it (%s)",
				n.flag, n.controller, fsPath(h.base), delegateFix)}
		}
		return &unavailableError{fmt.Sprintf("%s needs the %s controller, which is not delegated to rpod: %s", n.flag, n.controller, delegateFix)}
	}
	return nil
}
