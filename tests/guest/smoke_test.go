//go:build guest

package guest

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The guest is what the other tests assume: cgroup v2 only, systemd as
// PID 1, and a user manager that makes transient scopes on request.
func TestSmokeSystemdCgroupV2(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Fatalf("/sys/fs/cgroup is not cgroup2 (statfs: %v, type %#x)", err, st.Type)
	}
	if b, _ := os.ReadFile("/proc/1/comm"); strings.TrimSpace(string(b)) != "systemd" {
		t.Errorf("pid 1 is %q, want systemd", b)
	}
	if os.Getenv("XDG_RUNTIME_DIR") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Errorf("no session: XDG_RUNTIME_DIR=%q DBUS_SESSION_BUS_ADDRESS=%q",
			os.Getenv("XDG_RUNTIME_DIR"), os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	}
	if r := runCmd(os.Environ(), nil, "systemd-run", "--user", "--scope", "--quiet", "true"); r.Code != 0 {
		t.Errorf("systemd-run --user --scope true: exit %d: %s", r.Code, r.Err)
	}
	t.Logf("controllers delegated to the user's manager: %v", delegated(t))
}

func TestSmokeRun(t *testing.T) {
	if out := ok(t, baseEnv, "run", "--rm", "busybox", "echo", "hi"); out != "hi\n" {
		t.Errorf("rpod run --rm busybox echo hi printed %q", out)
	}
}

func TestSmokeInfo(t *testing.T) {
	out := ok(t, baseEnv, "info")
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(strings.ToLower(l), "cgroup") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

// A boot with Debian's default delegation (guest-test runs TestNotDelegated*
// that way) leaves cpuset and io to the system.
func TestNotDelegatedDefault(t *testing.T) {
	requireNotDelegated(t, "cpuset", "io")
	requireDelegated(t, "cpu", "memory", "pids")
}
