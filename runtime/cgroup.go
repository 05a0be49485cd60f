package runtime

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/cgroupdelegate"
)

// ErrNoCgroup is wrapped by the errors of commands that need the
// container's own cgroup (pause, stats, update) when it has none.
var ErrNoCgroup = errors.New("no cgroup")

// cgroupOptions are the container's cgroup options with its id filled in.
func (c *Container) cgroupOptions() cgroupdelegate.Options {
	o := c.Cgroups
	o.ID = c.ID
	return o
}

// DetectCgroups is cgroupdelegate.Detect's answer, found once per process:
// run checks its flags against it and then makes the cgroup on it.
var DetectCgroups = sync.OnceValue(cgroupdelegate.Detect)

// CreateCgroup makes the container's cgroup for the monitor (this
// process) and the container's processes: nil without one (--cgroups
// disabled, or none to be had and no limit asked for).
func (c *Container) CreateCgroup() (*cgroupdelegate.Group, error) {
	o := c.cgroupOptions()
	if o.Mode == cgroupdelegate.ModeDisabled {
		return nil, nil
	}
	g, err := cgroupdelegate.CreateOn(DetectCgroups(), o, os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("container cgroup: %w", err)
	}
	return g, nil
}

// joinCgroup moves the child step pid, and any process it has forked
// already (rpod exec's step forks into the container's pid namespace
// before Go starts), into the container's leaf. It runs before the step
// has its spec, so nothing of the container's command runs outside.
func joinCgroup(g *cgroupdelegate.Group, pid int) error {
	if err := g.Join(pid); err != nil {
		return fmt.Errorf("move the container's process into its cgroup %s: %w", g.Leaf, err)
	}
	// Once pid is in the leaf its later children are born there: only
	// those already forked need moving.
	for _, child := range childPids(pid) {
		if err := g.Join(child); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("move the container's process into its cgroup %s: %w", g.Leaf, err)
		}
	}
	return nil
}

// childPids are pid's children, from /proc/PID/task/*/children.
func childPids(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// CgroupGroup is the cgroup of the running container, or an error wrapping
// ErrNoCgroup that says why it has none; what names the command (pause...).
func (c *Container) CgroupGroup(what string) (*cgroupdelegate.Group, error) {
	s := c.State()
	if s.Status != "running" {
		return nil, fmt.Errorf("%s: container %s is not running: can only %s running containers", what, c.Name, what)
	}
	if s.CgroupPath == "" {
		return nil, c.NoCgroupError(what)
	}
	return cgroupdelegate.Open(s.CgroupPath), nil
}

// NoCgroupError says why the container has no cgroup of its own, for what.
func (c *Container) NoCgroupError(what string) error {
	if c.Cgroups.Mode == cgroupdelegate.ModeDisabled {
		return fmt.Errorf("%s is not supported for containers created with --cgroups=disabled: %s has no cgroup of its own: %w", what, c.Name, ErrNoCgroup)
	}
	return NoCgroupHostError(what, DetectCgroups())
}

// NoCgroupHostError says why containers get no cgroup of their own on h, for what.
func NoCgroupHostError(what string, h cgroupdelegate.Host) error {
	if h.Version != "v2" {
		return fmt.Errorf("%s is not supported for rootless containers on cgroup v1: %s: %w", what, cmp.Or(h.Reason, "cgroup v1 cannot be delegated to an unprivileged user; boot with systemd.unified_cgroup_hierarchy=1"), ErrNoCgroup)
	}
	return fmt.Errorf("%s needs the container's own cgroup, which it does not have (%s): %w", what, cmp.Or(h.Reason, "no delegated cgroup v2 subtree"), ErrNoCgroup)
}

// Pause freezes the container's processes (cgroup.freeze).
func (c *Container) Pause() error {
	g, err := c.CgroupGroup("pause")
	if err != nil {
		return err
	}
	s := c.State()
	if s.Paused {
		return fmt.Errorf("%q is already paused: container state improper", c.Name)
	}
	if err := g.Freeze(true); err != nil {
		return fmt.Errorf("pause %s: %w", c.Name, err)
	}
	return c.setPaused(true)
}

// Unpause thaws a paused container.
func (c *Container) Unpause() error {
	g, err := c.CgroupGroup("unpause")
	if err != nil {
		return err
	}
	if !c.State().Paused {
		return fmt.Errorf("%q is not paused, can't unpause: container state improper", c.Name)
	}
	if err := g.Freeze(false); err != nil {
		return fmt.Errorf("unpause %s: %w", c.Name, err)
	}
	return c.setPaused(false)
}

// setPaused records the freezer's state, unless the container ended meanwhile.
func (c *Container) setPaused(p bool) error {
	s, err := c.recorded()
	if err != nil {
		return err
	}
	if s.Status != "running" {
		return nil
	}
	s.Paused = p
	return c.SetState(s)
}

// Update sets new limits (and r, podman's values of them) on the
// container's config, and on its cgroup when it runs, so that the next
// start keeps them.
func (c *Container) Update(l cgroupdelegate.Limits, r Resources) error {
	c.updateResources(r)
	c.Cgroups.Limits = MergeLimits(c.Cgroups.Limits, l)
	if s := c.State(); s.Status == "running" {
		if s.CgroupPath == "" {
			return c.NoCgroupError("update")
		}
		g := cgroupdelegate.Open(s.CgroupPath)
		if err := g.Set(l); err != nil {
			return fmt.Errorf("update %s: %w", c.Name, err)
		}
	}
	return c.saveConfig()
}

// updateResources records new podman values of the limit flags (inspect).
func (c *Container) updateResources(r Resources) {
	if r.MemorySwap != 0 {
		c.Resources.MemorySwap = r.MemorySwap
	}
	if r.NanoCPUs != 0 {
		c.Resources.NanoCPUs = r.NanoCPUs
	}
	if r.CPUShares != 0 {
		c.Resources.CPUShares = r.CPUShares
	}
	if r.BlkioWeight != 0 {
		c.Resources.BlkioWeight = r.BlkioWeight
	}
}

// MergeLimits is old with the fields set in l replacing its own.
func MergeLimits(old, l cgroupdelegate.Limits) cgroupdelegate.Limits {
	set := func(dst *int64, v int64) {
		if v != 0 {
			*dst = v
		}
	}
	setU := func(dst *uint64, v uint64) {
		if v != 0 {
			*dst = v
		}
	}
	set(&old.MemoryMax, l.MemoryMax)
	set(&old.MemoryLow, l.MemoryLow)
	if l.MemorySwapOff {
		old.MemorySwapOff, old.MemorySwapMax = true, 0
	} else if l.MemorySwapMax != 0 {
		old.MemorySwapOff, old.MemorySwapMax = false, l.MemorySwapMax
	}
	set(&old.CPUQuota, l.CPUQuota)
	setU(&old.CPUPeriod, l.CPUPeriod)
	setU(&old.CPUWeight, l.CPUWeight)
	if l.CpusetCpus != "" {
		old.CpusetCpus = l.CpusetCpus
	}
	if l.CpusetMems != "" {
		old.CpusetMems = l.CpusetMems
	}
	set(&old.PidsMax, l.PidsMax)
	setU(&old.IOWeight, l.IOWeight)
	return old
}

// saveConfig records the container's config as it is now.
func (c *Container) saveConfig() error {
	meta, err := json.Marshal(c.Config)
	if err != nil {
		return err
	}
	if c.index != nil {
		err = c.index.SetConfig(c.ID, meta, !c.AutoRemove)
	} else {
		err = c.main.SetMetadata(c.ID, string(meta))
	}
	if err != nil {
		return fmt.Errorf("record the container's config: %w", err)
	}
	return nil
}

// OOMKills is g's OOM kill count; 0 without a cgroup.
func OOMKills(g *cgroupdelegate.Group) uint64 {
	if g == nil {
		return 0
	}
	return g.OOMKills()
}

// Leaf is g's leaf; "" without a cgroup.
func Leaf(g *cgroupdelegate.Group) string {
	if g == nil {
		return ""
	}
	return g.Leaf
}

// RemoveCgroup removes g, if any, once the container has ended.
func RemoveCgroup(g *cgroupdelegate.Group) {
	if g != nil {
		g.Remove()
	}
}
