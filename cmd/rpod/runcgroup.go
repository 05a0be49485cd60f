package main

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/userns"
)

// defaultPidsLimit is podman's --pids-limit when the pids controller is there.
const defaultPidsLimit = 2048

// resourceFlags are the cgroup limit flags run, create and update share.
type resourceFlags struct {
	memory, memoryReservation, memorySwap string
	cpus                                  string
	cpuQuota                              int64
	cpuPeriod                             uint64
	cpuShares                             uint64
	cpusetCpus, cpusetMems                string
	pidsLimit                             string
	blkioWeight                           uint64
}

func (f *resourceFlags) add(fl *pflag.FlagSet) {
	fl.StringVarP(&f.memory, "memory", "m", "", "memory limit: a number with a unit b, k, m or g (memory.max)")
	fl.StringVar(&f.memoryReservation, "memory-reservation", "", "memory soft limit (memory.low)")
	fl.StringVar(&f.memorySwap, "memory-swap", "", "memory plus swap limit, at least --memory; -1 is unlimited (default: twice --memory)")
	fl.StringVar(&f.cpus, "cpus", "", "number of CPUs, e.g. 0.5 (cpu.max quota per 100ms period)")
	fl.Int64Var(&f.cpuQuota, "cpu-quota", 0, "CPU time in µs the container may use per --cpu-period (cpu.max)")
	fl.Uint64Var(&f.cpuPeriod, "cpu-period", 0, "CPU period in µs for --cpu-quota (default 100000)")
	fl.Uint64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares, relative weight 2-262144 (cpu.weight)")
	fl.StringVar(&f.cpusetCpus, "cpuset-cpus", "", "CPUs the container may run on, e.g. 0-2,4 (cpuset.cpus)")
	fl.StringVar(&f.cpusetMems, "cpuset-mems", "", "memory nodes the container may use, e.g. 0 (cpuset.mems)")
	fl.StringVar(&f.pidsLimit, "pids-limit", "", "most processes the container may have; -1 or 0 is unlimited (default 2048 with the pids controller)")
	fl.Uint64Var(&f.blkioWeight, "blkio-weight", 0, "block IO relative weight 10-1000 (io.weight)")
}

// cgroupFlags are run and create's cgroup flags: the limits and where the cgroup goes.
type cgroupFlags struct {
	resourceFlags
	cgroups, cgroupns, cgroupParent string
}

func (f *cgroupFlags) add(fl *pflag.FlagSet) {
	f.resourceFlags.add(fl)
	fl.StringVar(&f.cgroups, "cgroups", "enabled", "the container's cgroup: enabled, disabled, no-conmon or split")
	fl.StringVar(&f.cgroupns, "cgroupns", "", "cgroup namespace: private (default) or host")
	fl.StringVar(&f.cgroupParent, "cgroup-parent", "", "the slice the container's scope goes in (default user.slice)")
}

// applyCgroups checks the cgroup flags against what this host allows and
// records them in cfg; create calls it before a pull too (on a scratch cfg).
func (f *runFlags) applyCgroups(cfg *runtime.Config) error {
	switch f.cgroups {
	case cgroupdelegate.ModeEnabled, cgroupdelegate.ModeDisabled, cgroupdelegate.ModeNoConmon, cgroupdelegate.ModeSplit:
	default:
		return fmt.Errorf("invalid --cgroups %q: use enabled, disabled, no-conmon or split", f.cgroups)
	}
	switch f.cgroupns {
	case "", "private":
	case "host":
		cfg.Spec.HostCgroupNS = true
	default:
		return fmt.Errorf("invalid --cgroupns %q: use private or host", f.cgroupns)
	}
	l, res, err := f.resourceFlags.parse(nil)
	if err != nil {
		return err
	}
	disabled := f.cgroups == cgroupdelegate.ModeDisabled
	if disabled && l != (cgroupdelegate.Limits{}) {
		return fmt.Errorf("resource limits cannot be set with --cgroups=disabled: the container has no cgroup of its own to hold them")
	}
	if disabled && f.cgroupParent != "" {
		return fmt.Errorf("--cgroup-parent cannot be set with --cgroups=disabled: the container has no cgroup of its own")
	}
	if f.cgroupParent != "" && (strings.Contains(f.cgroupParent, "/") || !strings.HasSuffix(f.cgroupParent, ".slice")) {
		return fmt.Errorf("invalid --cgroup-parent %q: give a systemd slice, e.g. user.slice or rpod.slice", f.cgroupParent)
	}
	if !disabled {
		h := runtime.DetectCgroups() // the one detection of run's start path
		if err := h.Check(l); err != nil {
			return err
		}
		if f.pidsLimit == "" && h.Manager != cgroupdelegate.ManagerNone && slices.Contains(h.Controllers, "pids") {
			l.PidsMax = defaultPidsLimit // as podman
		}
	}
	cfg.Cgroups = cgroupdelegate.Options{Mode: f.cgroups, Parent: f.cgroupParent, Limits: l}
	cfg.Resources = res
	return nil
}

// warnNoCgroup says once per boot (a marker in rpod's runtime directory,
// which is on tmpfs) that containers run without a cgroup of their own:
// when one was asked for (--cgroups, --cgroup-parent, --cgroupns=private),
// or on a cgroup v2 host, where one is expected and its lack is fixable. A
// v1 or hybrid host stays quiet by default: rpod info says why, and a limit
// is refused with the reason.
func warnNoCgroup(f *runFlags, fl *pflag.FlagSet) {
	if f.cgroups == cgroupdelegate.ModeDisabled {
		return
	}
	h := runtime.DetectCgroups()
	if h.Manager != cgroupdelegate.ManagerNone {
		return
	}
	asked := fl.Changed("cgroups") || fl.Changed("cgroup-parent") || (fl.Changed("cgroupns") && f.cgroupns == "private")
	if !asked && h.Version != "v2" {
		return
	}
	dir, err := userns.RuntimeDir()
	if err != nil {
		return
	}
	marker, err := os.OpenFile(filepath.Join(dir, "cgroup-warned"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return // warned already this boot
	}
	marker.Close()
	why := cmp.Or(h.Reason, "no delegated cgroup v2 subtree")
	fmt.Fprintf(os.Stderr, "WARN[0000] containers run without a cgroup of their own, so without resource limits, stats or pause (cgroups %s: %s); this is said once per boot\n", h.Version, why)
}

// parse turns the flags into cgroup limits and podman's values for
// inspect; old (update) is the container's current limits, or nil.
func (f *resourceFlags) parse(old *cgroupdelegate.Limits) (cgroupdelegate.Limits, runtime.Resources, error) {
	var l cgroupdelegate.Limits
	var res runtime.Resources
	var err error
	if f.memory != "" {
		if l.MemoryMax, err = parseMemory(f.memory); err != nil {
			return l, res, fmt.Errorf("invalid value for memory: %w", err)
		}
	}
	if f.memoryReservation != "" {
		if l.MemoryLow, err = parseMemory(f.memoryReservation); err != nil {
			return l, res, fmt.Errorf("invalid value for memory-reservation: %w", err)
		}
	}
	memory := l.MemoryMax
	if memory == 0 && old != nil {
		memory = old.MemoryMax
	}
	if l.MemoryLow > 0 && memory > 0 && l.MemoryLow > memory {
		return l, res, fmt.Errorf("--memory-reservation must be lower than --memory: it is a soft limit below the hard one")
	}
	switch {
	case f.memorySwap == "-1":
		if memory == 0 {
			return l, res, fmt.Errorf("--memory-swap needs --memory: give the memory limit too")
		}
		l.MemorySwapMax, res.MemorySwap = -1, -1
	case f.memorySwap != "":
		swap, err := parseMemory(f.memorySwap)
		if err != nil {
			return l, res, fmt.Errorf("invalid value for memory-swap: %w", err)
		}
		if memory == 0 {
			return l, res, fmt.Errorf("--memory-swap needs --memory: give the memory limit too")
		}
		if swap < memory {
			return l, res, fmt.Errorf("--memory-swap (%d) must be at least --memory (%d): it is memory plus swap", swap, memory)
		}
		res.MemorySwap = swap
		l.MemorySwapMax = swap - memory
		l.MemorySwapOff = swap == memory
	case l.MemoryMax > 0:
		// podman's default: as much swap as memory.
		l.MemorySwapMax, res.MemorySwap = l.MemoryMax, 2*l.MemoryMax
	}
	if f.cpus != "" {
		if f.cpuQuota != 0 || f.cpuPeriod != 0 {
			return l, res, fmt.Errorf("--cpus cannot be set with --cpu-quota or --cpu-period: give one or the other")
		}
		cpus, err := parseCPUs(f.cpus)
		if err != nil {
			return l, res, fmt.Errorf("invalid --cpus %q: %w", f.cpus, err)
		}
		l.CPUQuota, l.CPUPeriod = int64(math.Round(cpus*cpuPeriod)), cpuPeriod
		res.NanoCPUs = int64(math.Round(cpus * 1e9))
	}
	if f.cpuPeriod != 0 {
		if f.cpuPeriod < 1000 || f.cpuPeriod > 1000000 {
			return l, res, fmt.Errorf("invalid --cpu-period %d: use 1000 to 1000000 µs", f.cpuPeriod)
		}
		l.CPUPeriod = f.cpuPeriod
	}
	if f.cpuQuota != 0 {
		if f.cpuQuota < 1000 && f.cpuQuota != -1 {
			return l, res, fmt.Errorf("invalid --cpu-quota %d: use at least 1000 µs, or -1 for no limit", f.cpuQuota)
		}
		l.CPUQuota = f.cpuQuota
		if l.CPUPeriod == 0 {
			l.CPUPeriod = cpuPeriod
		}
	}
	if f.cpuShares != 0 {
		if f.cpuShares < 2 || f.cpuShares > 262144 {
			return l, res, fmt.Errorf("invalid --cpu-shares %d: use 2 to 262144", f.cpuShares)
		}
		l.CPUWeight, res.CPUShares = sharesToWeight(f.cpuShares), f.cpuShares
	}
	if f.cpusetCpus != "" {
		if _, err := parseCPUList(f.cpusetCpus); err != nil {
			return l, res, fmt.Errorf("invalid --cpuset-cpus %q: %w", f.cpusetCpus, err)
		}
		l.CpusetCpus = f.cpusetCpus
	}
	if f.cpusetMems != "" {
		if _, err := parseCPUList(f.cpusetMems); err != nil {
			return l, res, fmt.Errorf("invalid --cpuset-mems %q: %w", f.cpusetMems, err)
		}
		l.CpusetMems = f.cpusetMems
	}
	if f.pidsLimit != "" {
		n, err := strconv.ParseInt(f.pidsLimit, 10, 64)
		if err != nil || n < -1 {
			return l, res, fmt.Errorf("invalid --pids-limit %q: use a number of processes, or -1 for no limit", f.pidsLimit)
		}
		if n <= 0 {
			n = -1 // unlimited, as podman's 0 and -1
		}
		l.PidsMax = n
	}
	if f.blkioWeight != 0 {
		if f.blkioWeight < 10 || f.blkioWeight > 1000 {
			return l, res, fmt.Errorf("invalid --blkio-weight %d: use 10 to 1000", f.blkioWeight)
		}
		l.IOWeight, res.BlkioWeight = blkioToIOWeight(f.blkioWeight), f.blkioWeight
	}
	return l, res, nil
}

// cpuPeriod is podman's cpu.max period for --cpus, in µs.
const cpuPeriod = 100000

// sharesToWeight converts cgroup v1 cpu.shares to v2 cpu.weight as crun does.
func sharesToWeight(shares uint64) uint64 {
	return 1 + ((shares-2)*9999)/262142
}

// blkioToIOWeight converts v1 blkio.weight (10-1000) to v2 io.weight (1-10000) as crun does.
func blkioToIOWeight(w uint64) uint64 {
	return 1 + ((w-10)*9999)/990
}

// memUnits are podman's (docker's RAMInBytes) binary units; b, ib and iB suffixes are allowed.
var memUnits = map[byte]int64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40, 'p': 1 << 50}

// parseMemory parses podman's memory sizes: NUMBER[UNIT] with binary
// units k, m, g, t, p (32m, 1.5g, 512KiB, 1024); bytes.
func parseMemory(s string) (int64, error) {
	bad := fmt.Errorf("invalid size: %q: use a number with an optional unit b, k, m or g, e.g. 512m or 1g", s)
	num := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(s), "b"), "i")
	mult := int64(1)
	if n := len(num); n > 0 {
		if m, ok := memUnits[num[n-1]]; ok {
			mult, num = m, num[:n-1]
		} else if num != strings.ToLower(s) && strings.HasSuffix(strings.ToLower(s), "ib") {
			return 0, bad // "ib" needs a unit: 5ib
		}
	}
	num = strings.TrimSuffix(num, " ")
	if num == "" || strings.HasPrefix(num, ".") || strings.HasSuffix(num, ".") || strings.Count(num, ".") > 1 ||
		strings.Trim(num, "0123456789.") != "" {
		return 0, bad
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, bad
	}
	v *= float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size: %q is too large", s)
	}
	if v < 1 {
		return 0, fmt.Errorf("invalid size: %q: it must be greater than 0", s)
	}
	return int64(v), nil
}

// parseCPUs parses --cpus: a decimal number of CPUs, at least 0.01 (cpu.max's 1 ms quota per period).
func parseCPUs(s string) (float64, error) {
	if strings.Trim(s, "0123456789.") != "" || strings.Count(s, ".") > 1 || s == "." {
		return 0, fmt.Errorf("use a number of CPUs, e.g. 0.5 or 2")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("use a number of CPUs, e.g. 0.5 or 2")
	}
	if v < 0.01 {
		return 0, fmt.Errorf("use at least 0.01 CPUs")
	}
	if v > 1<<20 {
		return 0, fmt.Errorf("that is more CPUs than any host has")
	}
	return v, nil
}

// maxCPUListEntry bounds cpuset lists: the kernel's NR_CPUS is at most 8192.
const maxCPUListEntry = 8192

// parseCPUList parses a cpuset list (0-3,5,7-8) into its sorted members.
func parseCPUList(s string) ([]int, error) {
	set := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := cpuListNum(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = cpuListNum(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("range %s runs backwards: write LOW-HIGH", part)
			}
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	out := make([]int, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	slices.Sort(out)
	return out, nil
}

func cpuListNum(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("use numbers and ranges separated by commas, e.g. 0-2,4")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n >= maxCPUListEntry {
		return 0, fmt.Errorf("%s is beyond the kernel's largest CPU or node number", s)
	}
	return n, nil
}

// cgroupHostConfig is podman's HostConfig part for the cgroup flags.
type cgroupHostConfig struct {
	Memory            int64  `json:"Memory"`
	MemoryReservation int64  `json:"MemoryReservation"`
	MemorySwap        int64  `json:"MemorySwap"`
	NanoCpus          int64  `json:"NanoCpus"`
	CpuShares         uint64 `json:"CpuShares"`
	CpuPeriod         uint64 `json:"CpuPeriod"`
	CpuQuota          int64  `json:"CpuQuota"`
	CpusetCpus        string `json:"CpusetCpus"`
	CpusetMems        string `json:"CpusetMems"`
	PidsLimit         int64  `json:"PidsLimit"`
	BlkioWeight       uint64 `json:"BlkioWeight"`
	CgroupParent      string `json:"CgroupParent"`
	Cgroups           string `json:"Cgroups"`
	CgroupMode        string `json:"CgroupMode"`
	CgroupnsMode      string `json:"CgroupnsMode"`
}

func inspectCgroups(c *runtime.Container) cgroupHostConfig {
	l := c.Cgroups.Limits
	h := cgroupHostConfig{Memory: l.MemoryMax, MemoryReservation: l.MemoryLow, MemorySwap: c.Resources.MemorySwap,
		NanoCpus: c.Resources.NanoCPUs, CpuShares: c.Resources.CPUShares, CpuPeriod: l.CPUPeriod, CpuQuota: l.CPUQuota,
		CpusetCpus: l.CpusetCpus, CpusetMems: l.CpusetMems, PidsLimit: max(l.PidsMax, 0), BlkioWeight: c.Resources.BlkioWeight,
		CgroupParent: c.Cgroups.Parent, Cgroups: "default", CgroupMode: "private"}
	if m := c.Cgroups.Mode; m != "" && m != cgroupdelegate.ModeEnabled {
		h.Cgroups = m
	}
	if c.Spec.HostCgroupNS {
		h.CgroupMode = "host"
	}
	h.CgroupnsMode = h.CgroupMode
	return h
}
