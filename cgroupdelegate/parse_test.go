package cgroupdelegate

import (
	"testing"
)

func TestMapUID(t *testing.T) {
	for _, tc := range []struct {
		name, uidMap string
		uid, want    int
		err          bool
	}{
		{"no userns", "         0          0 4294967295\n", 1000, 1000, false},
		{"rpod's userns", "         0       1000          1\n         1     100000      65536\n", 0, 1000, false},
		{"subordinate", "0 1000 1\n1 100000 65536\n", 5, 100004, false},
		{"unmapped", "0 1000 1\n", 7, -1, true},
		{"empty", "", 0, -1, true},
		{"malformed", "0 1000\n", 0, -1, true},
		{"not a number", "0 x 1\n", 0, -1, true},
	} {
		got, err := mapUID(tc.uidMap, tc.uid)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: mapUID(%d) = %d, %v; want %d, error %v", tc.name, tc.uid, got, err, tc.want, tc.err)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0::/user.slice/user-1000.slice/session-c1.scope\n", "/user.slice/user-1000.slice/session-c1.scope"},
		{"9:name=systemd:/\n4:memory:/x\n0::/\n", "/"},
		{"12:pids:/a\n", ""},
		{"0::relative\n", ""},
		{"", ""},
	} {
		got, err := parseProcCgroup(tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("parseProcCgroup(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseKeyed(t *testing.T) {
	cpuStat := "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 10\nnr_throttled 3\nthrottled_usec 999\n"
	m := parseKeyed(cpuStat)
	if m["usage_usec"] != 123456 || m["nr_throttled"] != 3 || len(m) != 6 {
		t.Errorf("cpu.stat: %v", m)
	}
	events := "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 1\n"
	if m := parseKeyed(events); m["oom_kill"] != 1 || m["max"] != 12 {
		t.Errorf("memory.events: %v", m)
	}
	if m := parseKeyed("populated 1\nfrozen 1\n"); m["frozen"] != 1 {
		t.Errorf("cgroup.events: %v", m)
	}
	if m := parseKeyed("garbage\nkey notanumber\na b c\n\n"); len(m) != 0 {
		t.Errorf("garbage: %v", m)
	}
}

func TestParseIOStat(t *testing.T) {
	for _, tc := range []struct {
		in          string
		read, write uint64
	}{
		{"", 0, 0},
		{"8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n", 1024, 2048},
		{"8:0 rbytes=1 wbytes=2 rios=1 wios=2\n253:0 rbytes=10 wbytes=20 rios=1 wios=1\n", 11, 22},
		{"8:0 rbytes=x wbytes=5 junk\n", 0, 5},
	} {
		r, w := parseIOStat(tc.in)
		if r != tc.read || w != tc.write {
			t.Errorf("parseIOStat(%q) = %d, %d; want %d, %d", tc.in, r, w, tc.read, tc.write)
		}
	}
}

func TestParseMemTotal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"MemTotal:        2014724 kB\nMemFree:  100 kB\n", 2014724 * 1024},
		{"MemFree: 1 kB\n", 0},
		{"MemTotal: x kB\n", 0},
	} {
		if got := parseMemTotal(tc.in); got != tc.want {
			t.Errorf("parseMemTotal(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestSliceDir(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"user.slice", "/user.slice"},
		{"a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice"},
		{"-.slice", ""},
		{"notaslice", ""},
		{"a/b.slice", ""},
		{"a--b.slice", ""},
		{"-a.slice", ""},
	} {
		if got := sliceDir(tc.in); got != tc.want {
			t.Errorf("sliceDir(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
