package cgroupdelegate

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	systemd := Host{Version: "v2", Manager: ManagerSystemd, Controllers: []string{"cpu", "memory", "pids"}}
	for _, tc := range []struct {
		name string
		h    Host
		l    Limits
		want string // "" is no error
	}{
		{"no limits need nothing", Host{Version: "hybrid", Manager: ManagerNone, Reason: v1Reason("hybrid")}, Limits{}, ""},
		{"delegated", systemd, Limits{MemoryMax: 1, CPUQuota: 1, PidsMax: 1}, ""},
		{"cpuset", systemd, Limits{MemoryMax: 1, CpusetCpus: "0"},
			"--cpuset-cpus needs the cpuset controller, which is not delegated to rpod: add a drop-in /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids, run systemctl daemon-reload and log in again"},
		{"io", systemd, Limits{IOWeight: 10}, "--blkio-weight needs the io controller"},
		{"cpu quota", Host{Version: "v2", Manager: ManagerSystemd, Controllers: []string{"memory"}}, Limits{CPUQuota: 50000, CPUPeriod: 100000},
			"--cpus or --cpu-quota needs the cpu controller"},
		{"hybrid", Host{Version: "hybrid", Manager: ManagerNone, Reason: v1Reason("hybrid")}, Limits{MemoryMax: 1},
			"--memory needs a cgroup of the container's own, but this host uses hybrid cgroups (v1 controllers, cgroup v2 only at /sys/fs/cgroup/unified), and cgroup v1 cannot be delegated to an unprivileged user: boot with systemd.unified_cgroup_hierarchy=1"},
		{"v1", Host{Version: "v1", Manager: ManagerNone, Reason: v1Reason("v1")}, Limits{PidsMax: 1}, "--pids-limit needs a cgroup of the container's own, but this host uses cgroup v1"},
		{"no session", Host{Version: "v2", Manager: ManagerNone, Reason: "there is no systemd user session bus"}, Limits{CPUWeight: 1}, "--cpu-shares needs a cgroup of the container's own, but there is no systemd user session bus"},
		{"cgroupfs", Host{Version: "v2", Manager: ManagerCgroupfs, Controllers: []string{"memory"}, base: "/a.scope"}, Limits{PidsMax: 5},
			"--pids-limit needs the pids controller, which is not delegated to rpod's cgroup /sys/fs/cgroup/a.scope"},
	} {
		err := tc.h.Check(tc.l)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		case err != nil && (!errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s: %q must be one line and wrap ErrUnavailable", tc.name, err)
		}
	}
}

func TestLimitsControllers(t *testing.T) {
	got := Limits{MemoryMax: 1, MemoryLow: 1, CpusetMems: "0", PidsMax: 1}.Controllers()
	if strings.Join(got, " ") != "memory cpuset pids" {
		t.Errorf("Controllers() = %v", got)
	}
}
