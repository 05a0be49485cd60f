package quadlet

import (
	"slices"
	"strings"
	"testing"
)

// testFlags are a few of rpod's flags: long name, one-letter name, value.
var testFlags = []struct {
	long, short string
	value       bool
}{
	{"name", "", true}, {"detach", "d", false}, {"rm", "", false}, {"replace", "", false},
	{"cidfile", "", true}, {"cgroups", "", true}, {"sdnotify", "", true}, {"restart", "", true},
	{"env", "e", true}, {"interactive", "i", false}, {"tty", "t", false}, {"volume", "v", true},
	{"root", "", true}, {"log-level", "", true}, {"memory", "m", true},
}

func testFlag(name string) (string, bool, bool) {
	for _, f := range testFlags {
		if name == f.long || (f.short != "" && name == f.short) {
			return f.long, f.value, true
		}
	}
	return "", false, false
}

func TestRunArgs(t *testing.T) {
	for _, tc := range []struct {
		in, want string // space-separated words; want "!" for not ok
	}{
		{"rpod run busybox", "busybox"},
		{"/usr/bin/rpod run -d --name web --rm -e A=1 busybox sh -c x", "-e A=1 busybox sh -c x"},
		{"rpod create --name=web --cidfile /x --replace --cgroups=split -v /a:/b busybox", "-v /a:/b busybox"},
		{"rpod --root /r container run --sdnotify conmon -it busybox", "--root /r -it busybox"},
		{"rpod run -dit busybox", "-dit busybox"},
		{"rpod run -d -m 10m busybox --rm", "-m 10m busybox --rm"},
		{"rpod run -em=1 busybox", "-em=1 busybox"},
		{"rpod run --restart=always -- busybox", "busybox"},
		{"rpod run --unknown busybox", "!"},
		{"rpod run --name", "!"},
		{"rpod run -d", "!"},
		{"rpod ps", "!"},
		{"rpod", "!"},
	} {
		got, ok := RunArgs(strings.Fields(tc.in), testFlag)
		if tc.want == "!" {
			if ok {
				t.Errorf("RunArgs(%q) = %q, want not ok", tc.in, got)
			}
			continue
		}
		if !ok || !slices.Equal(got, strings.Fields(tc.want)) {
			t.Errorf("RunArgs(%q) = %q %v, want %q", tc.in, got, ok, tc.want)
		}
	}
}

func FuzzRunArgs(f *testing.F) {
	f.Add("rpod run -d --name web -e A=1 busybox sh")
	f.Add("rpod --root /r container create -it busybox")
	f.Fuzz(func(t *testing.T, s string) {
		in := strings.Fields(s)
		got, ok := RunArgs(in, testFlag)
		if ok && len(got) >= len(in) {
			t.Errorf("RunArgs(%q) = %q: not shorter than its input", in, got)
		}
	})
}
