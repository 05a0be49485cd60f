package main

import (
	"bufio"
	"slices"
	"strings"
	"testing"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/runtime"
)

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "32m", want: 32 << 20},
		{in: "32M", want: 32 << 20},
		{in: "32mb", want: 32 << 20},
		{in: "32MiB", want: 32 << 20},
		{in: "1g", want: 1 << 30},
		{in: "1.5g", want: 3 << 29},
		{in: "512k", want: 512 << 10},
		{in: "2t", want: 2 << 40},
		{in: "1024", want: 1024},
		{in: "1024b", want: 1024},
		{in: "100 m", want: 100 << 20},
		{in: "", bad: true},
		{in: "m", bad: true},
		{in: "1x", bad: true},
		{in: "-1", bad: true},
		{in: "0", bad: true},
		{in: "1..5m", bad: true},
		{in: ".5g", bad: true},
		{in: "5.g", bad: true},
		{in: "5ib", bad: true},
		{in: "9999999p", bad: true},
		{in: "1e3", bad: true},
		{in: "0x10", bad: true},
	} {
		got, err := parseMemory(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseMemory(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"32m", "1.5g", "1024", "5ib", "", "1e3", "9999999p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseMemory(s)
		if err == nil && v < 1 {
			t.Errorf("parseMemory(%q) = %d without error", s, v)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("parseMemory(%q): multi-line error %q", s, err)
		}
	})
}

func TestParseCPUs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		bad  bool
	}{
		{in: "0.5", want: 0.5},
		{in: "2", want: 2},
		{in: "1.25", want: 1.25},
		{in: "0.01", want: 0.01},
		{in: "0.001", bad: true},
		{in: "0", bad: true},
		{in: "-1", bad: true},
		{in: "abc", bad: true},
		{in: "", bad: true},
		{in: ".", bad: true},
		{in: "1.2.3", bad: true},
		{in: "1e2", bad: true},
		{in: "NaN", bad: true},
		{in: "Inf", bad: true},
		{in: "99999999", bad: true},
	} {
		got, err := parseCPUs(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseCPUs(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseCPUs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseCPUs(f *testing.F) {
	for _, s := range []string{"0.5", "2", "abc", ".", "1e2", "0.001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseCPUs(s)
		if err == nil && (v < 0.01 || v > 1<<20) {
			t.Errorf("parseCPUs(%q) = %v without error", s, v)
		}
	})
}

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "0", want: []int{0}},
		{in: "0-2", want: []int{0, 1, 2}},
		{in: "0-2,4", want: []int{0, 1, 2, 4}},
		{in: "4,0-1,1", want: []int{0, 1, 4}},
		{in: "3-3", want: []int{3}},
		{in: "", bad: true},
		{in: "3-1", bad: true},
		{in: "a", bad: true},
		{in: "1,", bad: true},
		{in: ",1", bad: true},
		{in: "1-", bad: true},
		{in: "-1", bad: true},
		{in: "1-2-3", bad: true},
		{in: "0-99999", bad: true},
		{in: " 1", bad: true},
	} {
		got, err := parseCPUList(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseCPUList(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0-2,4", "3-1", "1,", "0-8191", "8192"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseCPUList(s)
		if err != nil {
			return
		}
		if len(got) == 0 || !slices.IsSorted(got) || got[len(got)-1] >= maxCPUListEntry {
			t.Errorf("parseCPUList(%q) = %v", s, got)
		}
	})
}

func TestWeights(t *testing.T) {
	for shares, want := range map[uint64]uint64{2: 1, 1024: 39, 262144: 10000} {
		if got := sharesToWeight(shares); got != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
	for w, want := range map[uint64]uint64{10: 1, 500: 4950, 1000: 10000} {
		if got := blkioToIOWeight(w); got != want {
			t.Errorf("blkioToIOWeight(%d) = %d, want %d", w, got, want)
		}
	}
}

func TestResourceFlagsParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    resourceFlags
		old  *cgroupdelegate.Limits
		want cgroupdelegate.Limits
		res  runtime.Resources
		bad  string
	}{
		{name: "memory swaps as much again", f: resourceFlags{memory: "32m"},
			want: cgroupdelegate.Limits{MemoryMax: 32 << 20, MemorySwapMax: 32 << 20}, res: runtime.Resources{MemorySwap: 64 << 20}},
		{name: "swap equal to memory is none", f: resourceFlags{memory: "32m", memorySwap: "32m"},
			want: cgroupdelegate.Limits{MemoryMax: 32 << 20, MemorySwapOff: true}, res: runtime.Resources{MemorySwap: 32 << 20}},
		{name: "swap unlimited", f: resourceFlags{memory: "32m", memorySwap: "-1"},
			want: cgroupdelegate.Limits{MemoryMax: 32 << 20, MemorySwapMax: -1}, res: runtime.Resources{MemorySwap: -1}},
		{name: "swap total", f: resourceFlags{memory: "32m", memorySwap: "100m"},
			want: cgroupdelegate.Limits{MemoryMax: 32 << 20, MemorySwapMax: 68 << 20}, res: runtime.Resources{MemorySwap: 100 << 20}},
		{name: "update swap against the old memory", f: resourceFlags{memorySwap: "64m"}, old: &cgroupdelegate.Limits{MemoryMax: 32 << 20},
			want: cgroupdelegate.Limits{MemorySwapMax: 32 << 20}, res: runtime.Resources{MemorySwap: 64 << 20}},
		{name: "cpus", f: resourceFlags{cpus: "0.5"},
			want: cgroupdelegate.Limits{CPUQuota: 50000, CPUPeriod: 100000}, res: runtime.Resources{NanoCPUs: 5e8}},
		{name: "quota alone", f: resourceFlags{cpuQuota: 20000}, want: cgroupdelegate.Limits{CPUQuota: 20000, CPUPeriod: 100000}},
		{name: "quota and period", f: resourceFlags{cpuQuota: 20000, cpuPeriod: 50000}, want: cgroupdelegate.Limits{CPUQuota: 20000, CPUPeriod: 50000}},
		{name: "shares", f: resourceFlags{cpuShares: 1024}, want: cgroupdelegate.Limits{CPUWeight: 39}, res: runtime.Resources{CPUShares: 1024}},
		{name: "pids", f: resourceFlags{pidsLimit: "100"}, want: cgroupdelegate.Limits{PidsMax: 100}},
		{name: "pids 0 is unlimited", f: resourceFlags{pidsLimit: "0"}, want: cgroupdelegate.Limits{PidsMax: -1}},
		{name: "pids -1 is unlimited", f: resourceFlags{pidsLimit: "-1"}, want: cgroupdelegate.Limits{PidsMax: -1}},
		{name: "cpuset", f: resourceFlags{cpusetCpus: "0-1", cpusetMems: "0"}, want: cgroupdelegate.Limits{CpusetCpus: "0-1", CpusetMems: "0"}},
		{name: "blkio", f: resourceFlags{blkioWeight: 500}, want: cgroupdelegate.Limits{IOWeight: 4950}, res: runtime.Resources{BlkioWeight: 500}},
		{name: "reservation", f: resourceFlags{memoryReservation: "16m"}, want: cgroupdelegate.Limits{MemoryLow: 16 << 20}},
		{name: "bad memory", f: resourceFlags{memory: "lots"}, bad: "invalid value for memory"},
		{name: "reservation above memory", f: resourceFlags{memory: "16m", memoryReservation: "32m"}, bad: "--memory-reservation must be lower"},
		{name: "swap without memory", f: resourceFlags{memorySwap: "64m"}, bad: "--memory-swap needs --memory"},
		{name: "swap below memory", f: resourceFlags{memory: "64m", memorySwap: "32m"}, bad: "must be at least --memory"},
		{name: "cpus and quota", f: resourceFlags{cpus: "1", cpuQuota: 50000}, bad: "--cpus cannot be set with"},
		{name: "period range", f: resourceFlags{cpuPeriod: 10}, bad: "invalid --cpu-period"},
		{name: "quota range", f: resourceFlags{cpuQuota: 10}, bad: "invalid --cpu-quota"},
		{name: "shares range", f: resourceFlags{cpuShares: 1}, bad: "invalid --cpu-shares"},
		{name: "pids word", f: resourceFlags{pidsLimit: "many"}, bad: "invalid --pids-limit"},
		{name: "pids below -1", f: resourceFlags{pidsLimit: "-2"}, bad: "invalid --pids-limit"},
		{name: "blkio range", f: resourceFlags{blkioWeight: 1001}, bad: "invalid --blkio-weight"},
		{name: "cpuset list", f: resourceFlags{cpusetCpus: "1-"}, bad: "invalid --cpuset-cpus"},
		{name: "cpuset mems list", f: resourceFlags{cpusetMems: "x"}, bad: "invalid --cpuset-mems"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, res, err := tc.f.parse(tc.old)
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("error %v, want one containing %q", err, tc.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l != tc.want || res != tc.res {
				t.Errorf("got %+v %+v, want %+v %+v", l, res, tc.want, tc.res)
			}
		})
	}
}

func TestMergeLimits(t *testing.T) {
	old := cgroupdelegate.Limits{MemoryMax: 1, MemorySwapOff: true, PidsMax: 2048, CpusetCpus: "0"}
	got := runtime.MergeLimits(old, cgroupdelegate.Limits{MemorySwapMax: 5, PidsMax: 10})
	want := cgroupdelegate.Limits{MemoryMax: 1, MemorySwapMax: 5, PidsMax: 10, CpusetCpus: "0"}
	if got != want {
		t.Errorf("MergeLimits = %+v, want %+v", got, want)
	}
}

const netDevSample = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  tap0:    1500      10    0    0    0     0          0         0      700       5    0    0    0     0       0          0
  eth1:      25       1    0    0    0     0          0         0        5       1    0    0    0     0       0          0
`

func TestParseNetDev(t *testing.T) {
	rx, tx, err := parseNetDev(bufio.NewScanner(strings.NewReader(netDevSample)))
	if err != nil || rx != 1525 || tx != 705 {
		t.Errorf("parseNetDev = %d, %d, %v; want 1525, 705 (lo left out)", rx, tx, err)
	}
}

func FuzzParseNetDev(f *testing.F) {
	f.Add(netDevSample)
	f.Add("x: 1 2 3 4 5 6 7 8 9\n")
	f.Fuzz(func(t *testing.T, s string) {
		parseNetDev(bufio.NewScanner(strings.NewReader(s)))
	})
}
