package cgroupdelegate

import (
	"errors"
	"strings"
	"testing"
)

// TestDetectHere checks what this host says of itself: on a v1 or hybrid
// host (as the development machine) no cgroup, with the v1 message.
func TestDetectHere(t *testing.T) {
	h := Detect()
	t.Logf("%+v", h)
	if h.Version != cgroupVersion() {
		t.Fatalf("version %s", h.Version)
	}
	if h.Version == "v2" {
		t.Skip("a cgroup v2 host: the guest tests cover it")
	}
	if h.Manager != ManagerNone || !strings.Contains(h.Reason, "cgroup v1 cannot be delegated") ||
		!strings.Contains(h.Reason, "systemd.unified_cgroup_hierarchy=1") {
		t.Errorf("Detect() = %+v", h)
	}
	if g, err := Create(Options{ID: "x"}, 0); g != nil || err != nil {
		t.Errorf("Create without limits = %v, %v; want no cgroup and no error", g, err)
	}
	_, err := Create(Options{ID: "x", Limits: Limits{MemoryMax: 1 << 20}}, 0)
	if err == nil || !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "--memory needs") {
		t.Errorf("Create with --memory: %v", err)
	}
}

func TestCreateModes(t *testing.T) {
	if g, err := Create(Options{ID: "x", Mode: ModeDisabled, Limits: Limits{MemoryMax: 1}}, 0); g != nil || err != nil {
		t.Errorf("disabled: %v, %v", g, err)
	}
	if _, err := Create(Options{ID: "x", Mode: "bogus"}, 0); err == nil || !strings.Contains(err.Error(), "enabled, disabled, no-conmon or split") {
		t.Errorf("bogus mode: %v", err)
	}
}

func TestBusAddresses(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	if got := busAddresses(1000); len(got) != 1 || got[0] != "unix:path=/run/user/1000/bus" {
		t.Errorf("busAddresses = %v", got)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", "/tmp/x")
	if got := busAddresses(7); strings.Join(got, " ") != "unix:path=/tmp/x/bus unix:path=/run/user/7/bus" {
		t.Errorf("busAddresses = %v", got)
	}
}
