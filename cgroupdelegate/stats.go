package cgroupdelegate

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats reads the leaf's counters; a controller that is not enabled
// leaves its fields zero.
func (g *Group) Stats() (Stats, error) {
	var s Stats
	if g == nil || g.Leaf == "" {
		return s, fmt.Errorf("read cgroup stats: %w", &unavailableError{"the container has no cgroup of its own"})
	}
	if _, err := os.Stat(g.Leaf); err != nil {
		return s, fmt.Errorf("read cgroup stats: %w", unwrapPath(err))
	}
	cpu := readKeyed(g.Leaf, "cpu.stat")
	s.CPUUsec, s.NrThrottled = cpu["usage_usec"], cpu["nr_throttled"]
	s.MemoryUsage = readUint(g.Leaf, "memory.current")
	if v, err := readTrim(filepath.Join(g.Leaf, "memory.max")); err == nil {
		if v == "max" {
			s.MemoryLimit = memTotal()
		} else {
			s.MemoryLimit, _ = strconv.ParseUint(v, 10, 64)
		}
	}
	s.PIDs = readUint(g.Leaf, "pids.current")
	if b, err := os.ReadFile(filepath.Join(g.Leaf, "io.stat")); err == nil {
		s.BlockRead, s.BlockWrite = parseIOStat(string(b))
	}
	return s, nil
}

// OOMKills is memory.events' oom_kill count for the leaf.
func (g *Group) OOMKills() uint64 {
	if g == nil || g.Leaf == "" {
		return 0
	}
	return readKeyed(g.Leaf, "memory.events")["oom_kill"]
}

func readUint(dir, file string) uint64 {
	v, err := readTrim(filepath.Join(dir, file))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}

func readKeyed(dir, file string) map[string]uint64 {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil
	}
	return parseKeyed(string(b))
}

// parseKeyed reads a flat-keyed cgroup file (cpu.stat, memory.events,
// cgroup.events): "key value" lines; lines that are not are skipped.
func parseKeyed(s string) map[string]uint64 {
	m := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			m[f[0]] = n
		}
	}
	return m
}

// parseIOStat sums rbytes and wbytes over the devices of an io.stat
// ("MAJ:MIN rbytes=N wbytes=N rios=N ..." lines).
func parseIOStat(s string) (read, written uint64) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "rbytes":
				read += n
			case "wbytes":
				written += n
			}
		}
	}
	return read, written
}

// memTotal is the host's memory in bytes (/proc/meminfo MemTotal), or 0.
func memTotal() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(string(b))
}

// parseMemTotal is /proc/meminfo's "MemTotal: N kB" in bytes, or 0.
func parseMemTotal(s string) uint64 {
	for _, line := range strings.Split(s, "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		return n
	}
	return 0
}
