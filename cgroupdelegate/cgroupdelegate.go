// Package cgroupdelegate puts a container in a cgroup v2 subtree delegated
// to the user (a transient systemd user scope, or the caller's own
// delegated cgroup) and reads and writes its limits, stats, freezer and
// OOM events there.
package cgroupdelegate

import (
	"errors"
	"os"
)

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
	Leaf string
}

// Detect says what this host and session allow.
func Detect() Host { return Host{Version: "v1", Manager: "none", Reason: "not implemented"} }

// Check fails, naming the controller and the fix, when l needs a
// controller this host does not delegate (or no cgroup can be had at all).
func (h Host) Check(l Limits) error { return nil }

// Create makes the container's cgroup and moves the monitor (pid monitor,
// the caller) in beside its leaf, unless o.Mode says otherwise; it fails
// naming the fix when o.Limits need a controller that is not delegated.
// A nil Group and nil error: no cgroup (ModeDisabled, or none can be had
// and no limit was asked for).
func Create(o Options, monitor int) (*Group, error) { return nil, nil }

// Remove deletes what Create made that systemd does not clean up itself.
func (g *Group) Remove() error { return nil }

// Open is the group whose leaf is at leaf, as recorded while it ran.
func Open(leaf string) *Group { return &Group{Leaf: leaf} }

// Dir opens the leaf for clone(CLONE_INTO_CGROUP).
func (g *Group) Dir() (*os.File, error) { return os.Open(g.Leaf) }

// Join moves pid into the leaf.
func (g *Group) Join(pid int) error { return nil }

// Set writes l's set fields.
func (g *Group) Set(l Limits) error { return nil }

// Freeze freezes (true) or thaws the leaf and waits until it is.
func (g *Group) Freeze(frozen bool) error { return nil }

// Stats reads the leaf's counters.
func (g *Group) Stats() (Stats, error) { return Stats{}, nil }

// OOMKills is memory.events' oom_kill count for the leaf.
func (g *Group) OOMKills() uint64 { return 0 }
