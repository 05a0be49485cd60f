// Package cgroupdelegate puts a container in a cgroup v2 subtree delegated
// to the user (a transient systemd user scope, or the caller's own
// delegated cgroup) and reads and writes its limits, stats, freezer and
// OOM events there.
//
// Layout (cgroup v2 allows controllers for a cgroup's children only while
// it holds no process itself):
//
//	systemd:  <user@UID.service>/<slice>/rpod-<id>.scope/{supervisor,container}
//	cgroupfs: <the caller's own delegated cgroup>/{supervisor,rpod-<id>}
//
// The monitor sits in supervisor, the container's processes in the leaf.
// rpod's commands run as uid 0 in rpod's user namespace: the session bus,
// user@UID.service and D-Bus authentication use the host uid (HostUID).
package cgroupdelegate

import "errors"

// Modes of --cgroups, as podman's.
const (
	ModeEnabled  = "enabled"   // the monitor and the container in rpod-<id>.scope
	ModeDisabled = "disabled"  // no cgroup of the container's own; no limits
	ModeNoConmon = "no-conmon" // only the container in the scope; the monitor stays put
	ModeSplit    = "split"     // sub-cgroups of the caller's own delegated cgroup, no new scope
)

// ErrUnavailable is wrapped by every error that says this host or session
// cannot give the container a cgroup of its own.
var ErrUnavailable = errors.New("cgroups unavailable")

// Limits are a container's resource limits; a zero field is not set.
type Limits struct {
	MemoryMax     int64  `json:"memoryMax,omitempty"`     // memory.max, bytes
	MemoryLow     int64  `json:"memoryLow,omitempty"`     // memory.low (--memory-reservation), bytes
	MemorySwapMax int64  `json:"memorySwapMax,omitempty"` // memory.swap.max, bytes; -1 is max
	MemorySwapOff bool   `json:"memorySwapOff,omitempty"` // memory.swap.max 0 (--memory-swap equal to --memory)
	CPUQuota      int64  `json:"cpuQuota,omitempty"`      // cpu.max quota, µs per CPUPeriod
	CPUPeriod     uint64 `json:"cpuPeriod,omitempty"`     // cpu.max period, µs (default 100000)
	CPUWeight     uint64 `json:"cpuWeight,omitempty"`     // cpu.weight, 1-10000
	CpusetCpus    string `json:"cpusetCpus,omitempty"`    // cpuset.cpus
	CpusetMems    string `json:"cpusetMems,omitempty"`    // cpuset.mems
	PidsMax       int64  `json:"pidsMax,omitempty"`       // pids.max; -1 is max
	IOWeight      uint64 `json:"ioWeight,omitempty"`      // io.weight, 1-10000
}

// Options say where and how a container's cgroup is made.
type Options struct {
	ID     string `json:"-"`
	Mode   string `json:"mode,omitempty"`   // one of the Mode constants; "" is ModeEnabled
	Parent string `json:"parent,omitempty"` // --cgroup-parent: a slice, e.g. user.slice; "" is user.slice
	Limits Limits `json:"limits,omitzero"`
}

// Host is what this host and session allow.
type Host struct {
	Version     string   // "v2", "v1" or "hybrid"
	Manager     string   // "systemd", "cgroupfs" or "none"
	Controllers []string // controllers delegated to the user
	Reason      string   // when Manager is "none": why, and the fix

	uid      int      // the user's uid on the host
	busAddrs []string // session bus addresses, when Manager is systemd
	base     string   // cgroup path: the user manager's (systemd) or the caller's own (cgroupfs)
}

// Stats is one reading of a container's cgroup.
type Stats struct {
	CPUUsec     uint64 // cpu.stat usage_usec
	MemoryUsage uint64 // memory.current
	MemoryLimit uint64 // memory.max, or the host's memory when max
	PIDs        uint64 // pids.current
	BlockRead   uint64 // io.stat rbytes, summed
	BlockWrite  uint64 // io.stat wbytes, summed
	NrThrottled uint64 // cpu.stat nr_throttled
}

// Group is one container's cgroup: Leaf holds its processes.
type Group struct {
	// Leaf is the directory of the container's cgroup. In ModeNoConmon it
	// exists only from the first Join, which starts the scope.
	Leaf string

	pending *scopeStart // ModeNoConmon: the scope the first Join starts
}
