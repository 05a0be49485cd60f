package cgroupdelegate

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLimitWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Limits
		want []write
	}{
		{"none", Limits{}, nil},
		{"memory", Limits{MemoryMax: 64 << 20, MemoryLow: 1 << 20, MemorySwapMax: -1},
			[]write{{"memory.low", "1048576"}, {"memory.max", "67108864"}, {"memory.swap.max", "max"}}},
		{"no swap", Limits{MemoryMax: 1, MemorySwapOff: true}, []write{{"memory.max", "1"}, {"memory.swap.max", "0"}}},
		{"cpus", Limits{CPUQuota: 150000, CPUPeriod: 100000}, []write{{"cpu.max", "150000 100000"}}},
		{"quota alone keeps the period", Limits{CPUQuota: 5000}, []write{{"cpu.max", "5000"}}},
		{"unlimited quota", Limits{CPUQuota: -1, CPUPeriod: 50000}, []write{{"cpu.max", "max 50000"}}},
		{"weights", Limits{CPUWeight: 100, IOWeight: 500}, []write{{"cpu.weight", "100"}, {"io.weight", "default 500"}}},
		{"cpuset", Limits{CpusetCpus: "0-1", CpusetMems: "0"}, []write{{"cpuset.mems", "0"}, {"cpuset.cpus", "0-1"}}},
		{"pids", Limits{PidsMax: 2048}, []write{{"pids.max", "2048"}}},
		{"pids max", Limits{PidsMax: -1}, []write{{"pids.max", "max"}}},
	} {
		if got := limitWrites(tc.l); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// fakeLeaf is a directory with the given cgroup files in it.
func fakeLeaf(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for f, v := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, dir, f string) string {
	b, err := os.ReadFile(filepath.Join(dir, f))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSet(t *testing.T) {
	dir := fakeLeaf(t, map[string]string{"cpu.max": "50000 100000\n", "pids.max": "max\n"})
	g := Open(dir)
	if err := g.Set(Limits{CPUPeriod: 200000, PidsMax: 10}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, "cpu.max"); got != "50000 200000" {
		t.Errorf("cpu.max = %q: a period alone must keep the quota", got)
	}
	if got := readFile(t, dir, "pids.max"); got != "10" {
		t.Errorf("pids.max = %q", got)
	}
	// A controller that is not enabled: no file, and an error naming it.
	err := g.Set(Limits{MemoryMax: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), `write "1048576" to `+filepath.Join(dir, "memory.max")) {
		t.Errorf("Set without memory.max: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.max")); err == nil {
		t.Error("Set created memory.max")
	}
	var nilGroup *Group
	if err := nilGroup.Set(Limits{PidsMax: 1}); err != nil {
		t.Errorf("nil Group: %v", err)
	}
}

func TestStats(t *testing.T) {
	dir := fakeLeaf(t, map[string]string{
		"cpu.stat":       "usage_usec 500\nuser_usec 400\nsystem_usec 100\nnr_periods 4\nnr_throttled 2\nthrottled_usec 7\n",
		"memory.current": "4096\n",
		"memory.max":     "max\n",
		"pids.current":   "3\n",
		"io.stat":        "8:0 rbytes=10 wbytes=20 rios=1 wios=1\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n",
		"memory.events":  "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
	})
	s, err := Open(dir).Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{CPUUsec: 500, MemoryUsage: 4096, MemoryLimit: memTotal(), PIDs: 3, BlockRead: 11, BlockWrite: 22, NrThrottled: 2}
	if s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
	if n := Open(dir).OOMKills(); n != 1 {
		t.Errorf("OOMKills = %d", n)
	}
	if _, err := Open(filepath.Join(dir, "gone")).Stats(); err == nil {
		t.Error("Stats of a missing leaf: no error")
	}
	var nilGroup *Group
	if _, err := nilGroup.Stats(); err == nil {
		t.Error("Stats of no group: no error")
	}
}

func TestRemoveSafe(t *testing.T) {
	var nilGroup *Group
	if err := nilGroup.Remove(); err != nil {
		t.Error(err)
	}
	if err := Open(cgroupRoot + "/no-such-rpod-leaf").Remove(); err != nil {
		t.Errorf("Remove of a leaf that is gone: %v", err)
	}
	if err := Open(t.TempDir()).Remove(); err == nil {
		t.Error("Remove outside /sys/fs/cgroup: no error")
	}
}
