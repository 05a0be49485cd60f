package userns

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

func TestParseSysctlInt(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "1\n": 1, " 28633 ": 28633, "": -1, "x": -1, "-1": -1, "1 0": -1, "99999999999999999999": -1} {
		if got := ParseSysctlInt(in); got != want {
			t.Errorf("ParseSysctlInt(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name                string
		s                   Sysctls
		blocked, restricted bool
		found, fix          string
	}{
		{"allowed", Sysctls{96365, -1, -1}, false, false, "user.max_user_namespaces=96365", ""},
		{"max zero", Sysctls{0, -1, -1}, true, false, "user.max_user_namespaces=0", "echo 'user.max_user_namespaces=28633' | sudo tee /etc/sysctl.d/99-rpod-userns.conf && sudo sysctl -p /etc/sysctl.d/99-rpod-userns.conf"},
		{"debian clone off", Sysctls{1000, 0, -1}, true, false, "kernel.unprivileged_userns_clone=0", "kernel.unprivileged_userns_clone=1"},
		{"ubuntu restricted", Sysctls{1000, 1, 1}, false, true, "kernel.apparmor_restrict_unprivileged_userns=1", FixAppArmor},
		{"ubuntu unrestricted", Sysctls{1000, 1, 0}, false, false, "kernel.apparmor_restrict_unprivileged_userns=0", ""},
		{"max zero wins", Sysctls{0, 0, 1}, true, false, "user.max_user_namespaces=0", "user.max_user_namespaces=28633"},
		{"nothing readable", Sysctls{-1, -1, -1}, false, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, r, found, fix := tc.s.Verdict()
			if b != tc.blocked || r != tc.restricted || !strings.Contains(found, tc.found) || !strings.Contains(fix, tc.fix) || (tc.fix == "") != (fix == "") {
				t.Errorf("Verdict = %v %v %q %q", b, r, found, fix)
			}
		})
	}
}

func TestUsernsHint(t *testing.T) {
	err := unprivilegedUsernsHint(syscall.EPERM)
	if !errors.Is(err, syscall.EPERM) || !strings.HasSuffix(err.Error(), "(rpod system check: userns)") {
		t.Errorf("hint = %v", err)
	}
	if err := unprivilegedUsernsHint(syscall.ENOENT); err != syscall.ENOENT {
		t.Errorf("an unrelated error changed: %v", err)
	}
}

func TestFormatProcMap(t *testing.T) {
	for in, want := range map[string]string{
		"         0       1000          1\n         1     100000      65536\n": "0:1000:1,1:100000:65536",
		"":               "",
		"0 1 2 3\n":      "",
		"0 0 4294967295": "0:0:4294967295",
	} {
		if got := FormatProcMap(in); got != want {
			t.Errorf("FormatProcMap(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseSysctlInt(f *testing.F) {
	for _, s := range []string{"0", "1\n", " 28633 ", "-1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v := ParseSysctlInt(s); v < -1 {
			t.Errorf("ParseSysctlInt(%q) = %d", s, v)
		}
	})
}

func FuzzFormatProcMap(f *testing.F) {
	f.Add("0 1000 1\n1 100000 65536\n")
	f.Add("  0  0  4294967295")
	f.Fuzz(func(t *testing.T, s string) {
		out := FormatProcMap(s)
		if out == "" {
			return
		}
		for _, p := range strings.Split(out, ",") {
			if strings.Count(p, ":") != 2 || strings.ContainsAny(p, " \t\n") {
				t.Errorf("FormatProcMap(%q) has part %q", s, p)
			}
		}
	})
}
