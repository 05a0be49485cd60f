package cgroupdelegate

import (
	"path/filepath"
	"strconv"
	"strings"
)

// Set writes l's set fields into the leaf; on a running container too.
func (g *Group) Set(l Limits) error {
	if g == nil {
		return nil
	}
	return setLimits(g.Leaf, l)
}

// setLimits writes l's set fields into dir, in an order the kernel accepts.
func setLimits(dir string, l Limits) error {
	if l.CPUQuota == 0 && l.CPUPeriod != 0 {
		// cpu.max takes the quota first: keep the current one.
		if cur, err := readTrim(filepath.Join(dir, "cpu.max")); err == nil {
			if f := strings.Fields(cur); len(f) > 0 {
				if q, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					l.CPUQuota = q
				}
			}
		}
	}
	for _, w := range limitWrites(l) {
		if err := writeCg(dir, w.file, w.value); err != nil {
			return err
		}
	}
	return nil
}

// write is one cgroup file and the value for it.
type write struct{ file, value string }

// limitWrites are the files and values l's set fields stand for.
func limitWrites(l Limits) []write {
	var w []write
	add := func(file, value string) { w = append(w, write{file, value}) }
	// cpuset.mems before cpuset.cpus, as runc: both must be non-empty for
	// a task to run, and mems is the one more often left out.
	if l.CpusetMems != "" {
		add("cpuset.mems", l.CpusetMems)
	}
	if l.CpusetCpus != "" {
		add("cpuset.cpus", l.CpusetCpus)
	}
	if l.MemoryLow != 0 {
		add("memory.low", bytesOrMax(l.MemoryLow))
	}
	if l.MemoryMax != 0 {
		add("memory.max", bytesOrMax(l.MemoryMax))
	}
	switch {
	case l.MemorySwapOff:
		add("memory.swap.max", "0")
	case l.MemorySwapMax != 0:
		add("memory.swap.max", bytesOrMax(l.MemorySwapMax))
	}
	if l.CPUQuota != 0 || l.CPUPeriod != 0 {
		add("cpu.max", cpuMax(l.CPUQuota, l.CPUPeriod))
	}
	if l.CPUWeight != 0 {
		add("cpu.weight", strconv.FormatUint(l.CPUWeight, 10))
	}
	if l.PidsMax != 0 {
		add("pids.max", bytesOrMax(l.PidsMax))
	}
	if l.IOWeight != 0 {
		add("io.weight", "default "+strconv.FormatUint(l.IOWeight, 10))
	}
	return w
}

// bytesOrMax is n, or "max" for a negative n (unlimited).
func bytesOrMax(n int64) string {
	if n < 0 {
		return "max"
	}
	return strconv.FormatInt(n, 10)
}

// cpuMax is cpu.max's "QUOTA PERIOD", or "QUOTA" alone, which keeps the
// current period; a quota of 0 or less is "max".
func cpuMax(quota int64, period uint64) string {
	q := "max"
	if quota > 0 {
		q = strconv.FormatInt(quota, 10)
	}
	if period == 0 {
		return q
	}
	return q + " " + strconv.FormatUint(period, 10)
}
