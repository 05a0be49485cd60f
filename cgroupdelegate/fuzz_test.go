package cgroupdelegate

import "testing"

func FuzzMapUID(f *testing.F) {
	f.Add("0 1000 1\n1 100000 65536\n", 0)
	f.Add("         0          0 4294967295\n", 1000)
	f.Fuzz(func(t *testing.T, uidMap string, uid int) {
		got, err := mapUID(uidMap, uid)
		if err == nil && got < 0 {
			t.Errorf("mapUID = %d without an error", got)
		}
	})
}

func FuzzParseKeyed(f *testing.F) {
	f.Add("usage_usec 1\nnr_throttled 2\n")
	f.Add("oom_kill 1\n")
	f.Fuzz(func(t *testing.T, s string) { parseKeyed(s) })
}

func FuzzParseIOStat(f *testing.F) {
	f.Add("8:0 rbytes=1 wbytes=2 rios=1 wios=2\n")
	f.Fuzz(func(t *testing.T, s string) { parseIOStat(s) })
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add("0::/user.slice\n")
	f.Add("1:cpu:/\n0::/\n")
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := parseProcCgroup(s); err == nil && (p == "" || p[0] != '/') {
			t.Errorf("parseProcCgroup = %q", p)
		}
	})
}
