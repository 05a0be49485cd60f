package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// These run on a host without a cgroup v2 subtree for the user (this
// machine's hybrid layout); tests/guest covers the limits themselves.
func skipOnCgroup2(t *testing.T) {
	t.Helper()
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		t.Skip("this host has cgroup v2: the limits are tested in the systemd guest (tests/guest)")
	}
}

const v1Why = "cgroup v1 cannot be delegated to an unprivileged user"

func TestCgroupLimitRefusedBeforePull(t *testing.T) {
	skipOnCgroup2(t)
	env := newWorld(t)
	r := run(env, nil, "run", "--rm", "--memory", "32m", "busybox", "true")
	wantError(t, r, 125, "--memory needs a cgroup of the container's own")
	wantError(t, r, 125, v1Why)
	if strings.Contains(r.Err, "Trying to pull") || strings.Contains(r.Out, "Trying to pull") {
		t.Errorf("the image was pulled before the limit was refused:\n%s", r.Err)
	}
	if out := ok(t, env, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("the store holds images after the refused run: %q", out)
	}
	if out := ok(t, env, "ps", "-aq"); strings.TrimSpace(out) != "" {
		t.Errorf("a container was created: %q", out)
	}
	// create, and each limit flag, the same.
	for _, flags := range [][]string{{"--cpus", "0.5"}, {"--pids-limit", "100"}, {"--cpu-shares", "512"},
		{"--memory-reservation", "8m"}, {"--cpuset-cpus", "0"}, {"--blkio-weight", "300"}, {"--cpu-quota", "50000"}} {
		r := run(env, nil, append(append([]string{"create"}, flags...), "busybox", "true")...)
		wantError(t, r, 125, " needs a cgroup of the container's own")
		wantError(t, r, 125, flags[0]+" ") // the flag the user gave is named
	}
}

func TestCgroupFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--memory", "lots"}, "invalid value for memory"},
		{[]string{"-m", "1x"}, "invalid value for memory"},
		{[]string{"--memory-reservation", "-5"}, "invalid value for memory-reservation"},
		{[]string{"--memory-swap", "64m"}, "--memory-swap needs --memory"},
		{[]string{"-m", "64m", "--memory-swap", "32m"}, "must be at least --memory"},
		{[]string{"--memory-swap", "x", "-m", "1m"}, "invalid value for memory-swap"},
		{[]string{"--cpus", "abc"}, `invalid --cpus "abc"`},
		{[]string{"--cpus", "0.001"}, "at least 0.01"},
		{[]string{"--cpus", "1", "--cpu-quota", "50000"}, "--cpus cannot be set with"},
		{[]string{"--cpu-quota", "x"}, `invalid argument "x" for "--cpu-quota"`},
		{[]string{"--cpu-quota", "10"}, "invalid --cpu-quota"},
		{[]string{"--cpu-period", "5"}, "invalid --cpu-period"},
		{[]string{"--cpu-shares", "1"}, "invalid --cpu-shares"},
		{[]string{"-c", "x"}, `invalid argument "x"`},
		{[]string{"--cpuset-cpus", "3-1"}, "invalid --cpuset-cpus"},
		{[]string{"--cpuset-mems", "a"}, "invalid --cpuset-mems"},
		{[]string{"--pids-limit", "many"}, "invalid --pids-limit"},
		{[]string{"--blkio-weight", "5"}, "invalid --blkio-weight"},
		{[]string{"--cgroups", "maybe"}, `invalid --cgroups "maybe"`},
		{[]string{"--cgroupns", "shared"}, `invalid --cgroupns "shared"`},
		{[]string{"--cgroup-parent", "a/b"}, "invalid --cgroup-parent"},
		{[]string{"--cgroups", "disabled", "-m", "8m"}, "resource limits cannot be set with --cgroups=disabled"},
		{[]string{"--cgroups", "disabled", "--cgroup-parent", "x.slice"}, "--cgroup-parent cannot be set with --cgroups=disabled"},
	} {
		r := rpod(t, append(append([]string{"run", "--rm"}, tc.flags...), "busybox", "true")...)
		wantError(t, r, 125, tc.want)
	}
}

func TestCgroupCommandsWithoutCgroup(t *testing.T) {
	skipOnCgroup2(t)
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "sleeper", "busybox", "sleep", "300")
	for _, cmd := range [][]string{{"pause", "sleeper"}, {"unpause", "sleeper"}, {"container", "pause", "sleeper"}} {
		r := run(env, nil, cmd...)
		wantError(t, r, 125, cmd[len(cmd)-2]+" is not supported for rootless containers on cgroup v1")
		wantError(t, r, 125, v1Why)
	}
	// --all picks the running (pause) or paused (unpause) ones; a name with it, or neither, is refused.
	wantError(t, run(env, nil, "pause", "--all"), 125, "pause is not supported for rootless containers on cgroup v1")
	if out := ok(t, env, "unpause", "--all"); out != "" {
		t.Errorf("unpause --all with nothing paused printed %q", out)
	}
	wantError(t, run(env, nil, "pause", "--all", "sleeper"), 125, "--all and container names cannot be used together")
	wantError(t, run(env, nil, "unpause"), 125, "name at least one container, or --all")
	wantError(t, run(env, nil, "stats", "--no-stream"), 125, "stats is not supported in rootless mode without cgroups v2")
	wantError(t, run(env, nil, "container", "stats", "--no-stream", "sleeper"), 125, "stats is not supported in rootless mode without cgroups v2")
	wantError(t, run(env, nil, "update", "--memory", "64m", "sleeper"), 125, "--memory needs a cgroup of the container's own")
	wantError(t, run(env, nil, "container", "update", "sleeper"), 125, "give at least one limit")
	wantError(t, run(env, nil, "update", "--cpus", "x", "sleeper"), 125, `invalid --cpus "x"`)
	// Still running and unpaused; inspect reports the cgroup settings.
	var got []struct {
		State struct {
			Status                     string
			Running, Paused, OOMKilled bool
		}
		HostConfig struct {
			Memory       int64
			PidsLimit    int64
			Cgroups      string
			CgroupMode   string
			CgroupParent string
		}
	}
	if err := json.Unmarshal([]byte(ok(t, env, "inspect", "sleeper")), &got); err != nil || len(got) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	if s := got[0].State; s.Status != "running" || !s.Running || s.Paused || s.OOMKilled {
		t.Errorf("state %+v, want running, not paused, not OOM-killed", s)
	}
	if h := got[0].HostConfig; h.Memory != 0 || h.PidsLimit != 0 || h.Cgroups != "default" || h.CgroupMode != "private" {
		t.Errorf("host config %+v, want no limits, default cgroups, private cgroupns", h)
	}
	ok(t, env, "rm", "-f", "sleeper")
}

func TestCgroupInfo(t *testing.T) {
	skipOnCgroup2(t)
	var info struct {
		Host struct {
			CgroupVersion     string   `json:"cgroupVersion"`
			CgroupManager     string   `json:"cgroupManager"`
			CgroupLimits      string   `json:"cgroupLimits"`
			CgroupControllers []string `json:"cgroupControllers"`
		} `json:"host"`
	}
	out := ok(t, baseEnv, "info", "--format", "json")
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("info json: %v\n%s", err, out)
	}
	h := info.Host
	if h.CgroupVersion != "v1" || h.CgroupManager != "none" || h.CgroupControllers == nil || len(h.CgroupControllers) != 0 {
		t.Errorf("info: version %q manager %q controllers %v, want v1, none, []", h.CgroupVersion, h.CgroupManager, h.CgroupControllers)
	}
	if !strings.HasPrefix(h.CgroupLimits, "unavailable: ") || !strings.Contains(h.CgroupLimits, v1Why) {
		t.Errorf("cgroupLimits %q does not say why", h.CgroupLimits)
	}
	if !strings.Contains(ok(t, baseEnv, "info"), "cgroupControllers: []") {
		t.Errorf("info's text lacks cgroupControllers: []")
	}
}

// Asked for a cgroup it cannot have, rpod runs the container without one
// and says so once per boot; by default a v1 host stays quiet.
func TestCgroupWarningOncePerBoot(t *testing.T) {
	skipOnCgroup2(t)
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	if r := run(env, nil, "run", "--rm", "busybox", "true"); r.Code != 0 || strings.Contains(r.Err, "WARN") {
		t.Errorf("default run: exit %d stderr %q, want no warning", r.Code, r.Err)
	}
	r := run(env, nil, "run", "--rm", "--cgroups=enabled", "busybox", "echo", "ran")
	if r.Code != 0 || r.Out != "ran\n" {
		t.Fatalf("run --cgroups=enabled: exit %d stdout %q stderr %s", r.Code, r.Out, r.Err)
	}
	warns := linesWith(r.Err, "WARN")
	if len(warns) != 1 || !strings.Contains(warns[0], "without a cgroup of their own") || strings.Contains(r.Err, "Error") {
		t.Errorf("want one WARN line saying containers run without a cgroup, got:\n%s", r.Err)
	}
	for _, args := range [][]string{{"run", "--rm", "--cgroups=enabled", "busybox", "true"}, {"create", "--cgroup-parent", "rpod.slice", "busybox"}} {
		if r := run(env, nil, args...); r.Code != 0 || strings.Contains(r.Err, "WARN") {
			t.Errorf("rpod %s again: exit %d stderr %q, want no second warning", strings.Join(args, " "), r.Code, r.Err)
		}
	}
}

func TestCgroupNamespaceModes(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	mine := strings.TrimSpace(ok(t, env, "unshare", "readlink", "/proc/self/ns/cgroup"))
	private := strings.TrimSpace(ok(t, env, "run", "--rm", "busybox", "readlink", "/proc/self/ns/cgroup"))
	host := strings.TrimSpace(ok(t, env, "run", "--rm", "--cgroupns=host", "busybox", "readlink", "/proc/self/ns/cgroup"))
	if private == mine || host != mine {
		t.Errorf("cgroup namespaces: rpod's %s, private %s, host %s; want private to differ and host to match", mine, private, host)
	}
	if got := strings.TrimSpace(ok(t, env, "run", "--rm", "busybox", "cat", "/proc/self/cgroup")); !strings.HasSuffix(got, ":/") {
		t.Errorf("with a private cgroupns, /proc/self/cgroup is %q, want the namespace root /", got)
	}
	ok(t, env, "create", "--name", "h", "--cgroupns", "host", "busybox")
	if got := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.HostConfig.CgroupMode}} {{.HostConfig.CgroupnsMode}}", "h")); got != "host host" {
		t.Errorf("inspect CgroupMode CgroupnsMode = %q, want host host", got)
	}
}
