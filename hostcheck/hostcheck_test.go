package hostcheck

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/idmap"
	"github.com/rpod/rpod/userns"
)

var testOpts = Options{User: "bob", UID: 1000, GID: 1000, GraphRoot: "/home/bob/.local/share/rpod/storage"}

// want checks a result's status and that found and fix contain the words.
func want(t *testing.T, r Result, status Status, found, fix string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Found, found) || !strings.Contains(r.Fix, fix) {
		t.Errorf("%s = %s %q fix %q; want %s with %q, fix with %q", r.Name, r.Status, r.Found, r.Fix, status, found, fix)
	}
	if r.Status != OK && r.Fix == "" {
		t.Errorf("%s: %s without a fix", r.Name, r.Status)
	}
}

func TestUsernsVerdict(t *testing.T) {
	allowed := userns.Sysctls{MaxUserNamespaces: 1000, UnprivilegedClone: -1, AppArmorRestrict: -1}
	restricted := userns.Sysctls{MaxUserNamespaces: 1000, UnprivilegedClone: -1, AppArmorRestrict: 1}
	for _, tc := range []struct {
		name       string
		s          userns.Sysctls
		p          probeResult
		status     Status
		found, fix string
	}{
		{"allowed, probed", allowed, probeResult{Ran: true}, OK, "user.max_user_namespaces=1000", ""},
		{"allowed, not probed", allowed, probeResult{}, OK, "", ""},
		{"max zero", userns.Sysctls{MaxUserNamespaces: 0, UnprivilegedClone: -1, AppArmorRestrict: -1}, probeResult{}, Fail, "disabled", "user.max_user_namespaces=28633"},
		{"clone off", userns.Sysctls{MaxUserNamespaces: 10, UnprivilegedClone: 0, AppArmorRestrict: -1}, probeResult{Ran: true, StartErr: "operation not permitted"}, Fail, "disabled", "kernel.unprivileged_userns_clone=1"},
		{"refused for another reason", allowed, probeResult{Ran: true, StartErr: "operation not permitted"}, Fail, "creating a user namespace failed: operation not permitted", "ask the administrator"},
		{"apparmor denies mounts", restricted, probeResult{Ran: true, MountErr: "mount tmpfs: permission denied"}, Fail, "AppArmor denies", "apparmor_parser -r /etc/apparmor.d/rpod"},
		{"apparmor profile present", restricted, probeResult{Ran: true}, OK, "an AppArmor profile allows rpod", ""},
		{"apparmor, not probed", restricted, probeResult{}, Warn, "may deny", "apparmor"},
		{"mount denied otherwise", allowed, probeResult{Ran: true, MountErr: "mount tmpfs: operation not permitted"}, Fail, "cannot mount", "LSM"},
	} {
		t.Run(tc.name, func(t *testing.T) { want(t, usernsVerdict(tc.s, tc.p), tc.status, tc.found, tc.fix) })
	}
}

func parse(t *testing.T, text string) []idmap.Entry {
	t.Helper()
	es, _ := idmap.Parse(strings.NewReader(text), "/etc/subuid")
	return es
}

func TestSubIDVerdict(t *testing.T) {
	bad := []*idmap.ParseError{{File: "/etc/subuid", Line: 3, Text: "junk", Reason: "want NAME:START:COUNT"}}
	for _, tc := range []struct {
		name, file string
		bad        []*idmap.ParseError
		status     Status
		found, fix string
	}{
		{"healthy", "bob:100000:65536\nalice:165536:65536\n", nil, OK, "bob: 100000-165535 (65536 ids)", ""},
		{"by uid", "1000:100000:65536\n", nil, OK, "100000-165535", ""},
		{"two ranges", "bob:100000:30000\nbob:200000:40000\n", nil, OK, "100000-129999, 200000-239999 (70000 ids)", ""},
		{"missing", "alice:100000:65536\n", nil, Warn, "no ranges for bob in /etc/subuid", "sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 bob && rpod system migrate"},
		{"empty file", "", nil, Warn, "single-ID mapping", "--add-subuids 100000-165535"},
		{"too small", "bob:100000:1000\n", nil, Warn, "fewer than 65536", "--add-subuids 165536-231071"},
		{"contains own id", "bob:900:200\n", nil, Fail, "/etc/subuid:1 contains your own uid 1000", "sudo usermod --del-subuids 900-1099 bob && sudo usermod --add-subuids 100000-165535"},
		{"overlaps another user", "alice:100000:65536\nbob:150000:65536\n", nil, Warn, "overlaps alice's range 100000-165535 at /etc/subuid:1", "sudo usermod --del-subuids 150000-215535 bob"},
		{"own ranges overlap", "bob:100000:65536\nbob:100010:65536\n", nil, Fail, "overlaps range", "so that bob's ranges do not overlap"},
		{"malformed line", "bob:100000:65536\n", bad, Warn, "1 malformed line(s)", "fix or remove line 3 of /etc/subuid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := subIDVerdict("uid", "/etc/subuid", "bob", 1000, 1000, parse(t, tc.file), tc.bad)
			want(t, r, tc.status, tc.found, tc.fix)
		})
	}
}

func TestPauseVerdict(t *testing.T) {
	const two = "0:1000:1,1:100000:65536"
	for _, tc := range []struct {
		name       string
		st         userns.PauseState
		u, g       string
		err        error
		status     Status
		found, fix string
	}{
		{"none", userns.PauseState{}, two, two, nil, OK, "none running", ""},
		{"gone", userns.PauseState{PidFile: "/run/user/1000/rpod/pause.pid", PID: 42}, two, two, nil, OK, "names pid 42, which is gone", ""},
		{"current", userns.PauseState{PID: 42, Live: true, UIDMap: two, GIDMap: two}, two, two, nil, OK, "pid 42", ""},
		{"stale uids", userns.PauseState{PID: 42, Live: true, UIDMap: "0:1000:1", GIDMap: "0:1000:1"}, two, two, nil, Warn, "started before they changed", "rpod system migrate"},
		{"stale gids", userns.PauseState{PID: 42, Live: true, UIDMap: two, GIDMap: "0:1000:1"}, two, two, nil, Warn, "pid 42 maps", "rpod system migrate"},
		{"ranges broken", userns.PauseState{PID: 42, Live: true, UIDMap: two, GIDMap: two}, "", "", os.ErrInvalid, OK, "pid 42", ""},
	} {
		t.Run(tc.name, func(t *testing.T) { want(t, pauseVerdict(tc.st, tc.u, tc.g, tc.err), tc.status, tc.found, tc.fix) })
	}
}

func TestRuntimeDirVerdict(t *testing.T) {
	for _, tc := range []struct {
		name, x    string
		d          dirFacts
		status     Status
		found, fix string
	}{
		{"healthy", "/run/user/1000", dirFacts{true, true, 1000, 0o700}, OK, "/run/user/1000", ""},
		{"unset", "", dirFacts{}, Warn, "not set: rpod uses /tmp/rpod-run-1000", "export XDG_RUNTIME_DIR=/run/user/1000"},
		{"relative", "run", dirFacts{true, true, 1000, 0o700}, Warn, "not an absolute path", "log in"},
		{"missing", "/run/user/1000", dirFacts{}, Warn, "does not exist", "sudo loginctl enable-linger bob"},
		{"a file", "/tmp/f", dirFacts{true, false, 1000, 0o600}, Warn, "not a directory", "log in"},
		{"root's after su", "/run/user/0", dirFacts{true, true, 0, 0o700}, Warn, "owned by uid 0, not by you", "not su or sudo"},
		{"mode", "/run/user/1000", dirFacts{true, true, 1000, 0o755}, Warn, "mode 0755, not 0700", "chmod 0700 /run/user/1000"},
	} {
		t.Run(tc.name, func(t *testing.T) { want(t, runtimeDirVerdict(testOpts, tc.x, tc.d), tc.status, tc.found, tc.fix) })
	}
}

func TestBusPath(t *testing.T) {
	for in, want := range map[string]string{
		"unix:path=/run/user/1000/bus":                      "/run/user/1000/bus",
		"unix:path=/run/user/1000/bus,guid=abc":             "/run/user/1000/bus",
		"unix:abstract=/tmp/dbus-x,guid=1;unix:path=/tmp/b": "/tmp/b",
		"tcp:host=localhost,port=1":                         "",
		"unix:abstract=/tmp/dbus-x":                         "",
		"":                                                  "",
		"unix:path=":                                        "",
	} {
		if got := busPath(in); got != want {
			t.Errorf("busPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCgroupVerdict(t *testing.T) {
	for _, tc := range []struct {
		name       string
		h          cgroupdelegate.Host
		status     Status
		found, fix string
	}{
		{"delegated", cgroupdelegate.Host{Version: "v2", Manager: "systemd", Controllers: []string{"cpu", "cpuset", "io", "memory", "pids"}}, OK, "delegated: cpu cpuset io memory pids", ""},
		{"old systemd", cgroupdelegate.Host{Version: "v2", Manager: "systemd", Controllers: []string{"memory", "pids"}}, Warn, "not delegated: cpu io", "Delegate=cpu cpuset io memory pids"},
		{"hybrid", cgroupdelegate.Host{Version: "hybrid", Manager: "none", Reason: "hybrid"}, Warn, "cgroup hybrid", "systemd.unified_cgroup_hierarchy=1"},
		{"v1", cgroupdelegate.Host{Version: "v1", Manager: "none"}, Warn, "cgroup v1", "grubby"},
		{"no session", cgroupdelegate.Host{Version: "v2", Manager: "none", Reason: "no session bus"}, Warn, "no delegated cgroup", "log in"},
	} {
		t.Run(tc.name, func(t *testing.T) { want(t, cgroupVerdict(testOpts, tc.h), tc.status, tc.found, tc.fix) })
	}
}

func TestFSVerdict(t *testing.T) {
	for _, tc := range []struct {
		fs         string
		status     Status
		found, fix string
	}{
		{"ext4", OK, "on ext4", ""},
		{"xfs", OK, "on xfs", ""},
		{"btrfs", OK, "on btrfs", ""},
		{"tmpfs", OK, "lost at reboot", ""},
		{"nfs", Fail, "a network filesystem", `graphroot = "/var/tmp/bob/containers/storage"`},
		{"cifs", Fail, "network", "storage.conf"},
		{"fuse", Fail, "FUSE", "storage.conf"},
		{"ecryptfs", Fail, "ecryptfs", "storage.conf"},
		{"overlay", Fail, "itself an overlay", "storage.conf"},
		{"0x1234", OK, "on 0x1234", ""},
	} {
		t.Run(tc.fs, func(t *testing.T) { want(t, fsVerdict(testOpts, tc.fs), tc.status, tc.found, tc.fix) })
	}
}

func TestKernelBefore(t *testing.T) {
	for _, tc := range []struct {
		rel     string
		old, ok bool
	}{
		{"5.10.0-28-amd64", true, true},
		{"5.11.0", false, true},
		{"6.1.0-18-amd64", false, true},
		{"4.19.0", true, true},
		{"garbage", false, false},
	} {
		if old, ok := kernelBefore(tc.rel, 5, 11); old != tc.old || ok != tc.ok {
			t.Errorf("kernelBefore(%q) = %v %v", tc.rel, old, ok)
		}
	}
}

func TestOverlayVerdict(t *testing.T) {
	for _, tc := range []struct {
		name, kernel string
		p            probeResult
		status       Status
		found, fix   string
	}{
		{"works", "6.1.0", probeResult{Ran: true}, OK, "native overlay mounts in a user namespace (kernel 6.1.0)", ""},
		{"old kernel", "5.10.0", probeResult{Ran: true, Overlay: "'overlay' is not supported over extfs"}, Warn, "falls back", "kernel >= 5.11"},
		{"bad fs", "6.1.0", probeResult{Ran: true, Overlay: "'overlay' is not supported over nfs"}, Warn, "over nfs", "storage.conf"},
		{"no userns", "6.1.0", probeResult{Ran: true, StartErr: "EPERM"}, Warn, "not probed", "userns"},
	} {
		t.Run(tc.name, func(t *testing.T) { want(t, overlayVerdict(testOpts, tc.p, tc.kernel), tc.status, tc.found, tc.fix) })
	}
}

func TestFuseVerdict(t *testing.T) {
	native := probeResult{Ran: true}
	broken := probeResult{Ran: true, Overlay: "no"}
	want(t, fuseVerdict(fuseFacts{Program: "/usr/bin/fuse-overlayfs"}, broken), OK, "/dev/fuse usable", "")
	want(t, fuseVerdict(fuseFacts{}, native), OK, "not needed", "")
	want(t, fuseVerdict(fuseFacts{}, broken), Warn, "fuse-overlayfs not installed", "apt-get install fuse-overlayfs")
	want(t, fuseVerdict(fuseFacts{Program: "/usr/bin/fuse-overlayfs", DevErr: "/dev/fuse: permission denied"}, broken), Warn, "permission denied", "chmod 0666 /dev/fuse")
}

func TestDriverVerdict(t *testing.T) {
	native := probeResult{Ran: true}
	broken := probeResult{Ran: true, Overlay: "no"}
	fuse := fuseFacts{Program: "/usr/bin/fuse-overlayfs"}
	mp := []string{"overlay.mount_program=/usr/bin/fuse-overlayfs"}
	gone := []string{"overlay.mount_program=/nonexistent/fuse-overlayfs"}
	for _, tc := range []struct {
		name, driver string
		opts         []string
		recorded     bool
		p            probeResult
		f            fuseFacts
		status       Status
		found, fix   string
	}{
		{"no store", "", nil, false, native, fuse, OK, "no store yet", ""},
		{"native", "overlay", nil, true, native, fuse, OK, "overlay (native)", ""},
		{"native, probe now fails", "overlay", nil, true, broken, fuse, Fail, "probe fails now", "rpod unshare rm -rf " + testOpts.GraphRoot},
		{"native, not probed", "overlay", nil, true, probeResult{}, fuse, OK, "overlay (native)", ""},
		{"fuse", "overlay", mp, true, broken, fuse, OK, "mount program /usr/bin/fuse-overlayfs", ""},
		{"fuse though native works", "overlay", mp, true, native, fuse, Warn, "native overlay works now", "rpod unshare rm -rf"},
		{"fuse program gone", "overlay", gone, true, broken, fuse, Fail, "which is missing", "install fuse-overlayfs"},
		{"vfs", "vfs", nil, true, broken, fuse, OK, "vfs", ""},
		{"vfs though native works", "vfs", nil, true, native, fuse, Warn, "vfs copies every layer", "rpod unshare rm -rf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, driverVerdict(testOpts, tc.driver, tc.opts, tc.recorded, tc.p, tc.f), tc.status, tc.found, tc.fix)
		})
	}
}

func TestDiskVerdict(t *testing.T) {
	want(t, diskVerdict(testOpts, "/home", 50<<30, 1e6, 1e7), OK, "50.0 GiB free at /home", "")
	want(t, diskVerdict(testOpts, "/home", 500<<20, 1e6, 1e7), Warn, "500.0 MiB free", "rpod image prune -a")
	want(t, diskVerdict(testOpts, "/home", 10<<20, 1e6, 1e7), Fail, "10.0 MiB free", "storage.conf")
	want(t, diskVerdict(testOpts, "/home", 50<<30, 10, 1e7), Warn, "only 10 inodes free", "prune")
	want(t, diskVerdict(testOpts, "/btrfs", 50<<30, 0, 0), OK, "free", "") // btrfs reports no inode counts
}

func TestTunVerdict(t *testing.T) {
	want(t, tunVerdict(nil), OK, "usable", "")
	want(t, tunVerdict(syscall.EACCES), Fail, "permission denied", "sudo chmod 0666 /dev/net/tun")
	want(t, tunVerdict(syscall.ENOENT), Fail, "no such file", "sudo modprobe tun")
}

func TestPortsVerdict(t *testing.T) {
	want(t, portsVerdict(1024), OK, "host ports from 1024 can be published", "")
	want(t, portsVerdict(80), OK, "from 80", "")
	want(t, portsVerdict(0), OK, "every host port", "")
	want(t, portsVerdict(2000), Warn, "below 2000 cannot be published", "echo 'net.ipv4.ip_unprivileged_port_start=1024' | sudo tee /etc/sysctl.d/99-rpod-ports.conf")
	want(t, portsVerdict(-1), OK, "unreadable", "")
}

func TestPingVerdict(t *testing.T) {
	want(t, pingVerdict("0\t2147483647", 1000), OK, "includes your gid 1000", "")
	want(t, pingVerdict("1\t0", 1000), Warn, "ping_group_range=1 0 excludes your gid 1000", "net.ipv4.ping_group_range=0 2147483647")
	want(t, pingVerdict("1001 1001", 1000), Warn, "excludes", "sysctl")
	want(t, pingVerdict("1000 1000", 1000), OK, "includes", "")
	want(t, pingVerdict("", 1000), Warn, "unreadable", "sysctl")
}

func TestParsePingRange(t *testing.T) {
	for _, tc := range []struct {
		in     string
		lo, hi uint32
		ok     bool
	}{
		{"1\t0\n", 1, 0, true},
		{"0 2147483647", 0, 2147483647, true},
		{"0 4294967295", 0, 4294967295, true},
		{"0", 0, 0, false},
		{"a b", 0, 0, false},
		{"0 4294967296", 0, 0, false},
		{"-1 5", 0, 0, false},
	} {
		lo, hi, ok := parsePingRange(tc.in)
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("parsePingRange(%q) = %d %d %v", tc.in, lo, hi, ok)
		}
	}
}

func TestCanRun(t *testing.T) {
	if !CanRun([]Result{{Status: OK}, {Status: Warn}}) || CanRun([]Result{{Status: OK}, {Status: Fail}}) {
		t.Error("CanRun must be false exactly when a check fails")
	}
}

func TestDocProfile(t *testing.T) {
	b, err := os.ReadFile("../docs/apparmor-rpod")
	if err != nil {
		t.Fatal(err)
	}
	if got := AppArmorProfile(DocProfilePath); string(b) != got {
		t.Errorf("docs/apparmor-rpod differs from AppArmorProfile(%q):\n%s", DocProfilePath, got)
	}
}

func TestOverlayVerdictGraphErr(t *testing.T) {
	want(t, overlayVerdict(testOpts, probeResult{GraphErr: "mkdir /x: permission denied"}, "6.1"), Warn, "not probed: mkdir /x: permission denied", "--root DIR")
}
