//go:build guest

package guest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rpod's cgroup features end to end: the limit flags, OOM, pids, cpu
// quota, stats, pause, update and the scope's life, as the guest's user.
// The containers use --network none: the network is not what is tested,
// and the guest's /dev/net/tun may be root's only.

// scopeOf is the directory of the container's rpod-<id>.scope, "" when
// there is none.
func scopeOf(t *testing.T, env []string, ctr string) string {
	t.Helper()
	id := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.ID}}", ctr))
	m, _ := filepath.Glob(filepath.Join(userService(), "*.slice", "rpod-"+id+".scope"))
	if len(m) == 0 {
		return ""
	}
	return m[0]
}

// leafOf is the cgroup holding the running container's processes.
func leafOf(t *testing.T, env []string, ctr string) string {
	t.Helper()
	var dir string
	waitUntil(t, ctr+"'s scope", func() bool { dir = scopeOf(t, env, ctr); return dir != "" })
	return filepath.Join(dir, "container")
}

func readCg(t *testing.T, dir, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	return strings.TrimSpace(string(b))
}

// cgField is the value of key in a flat-keyed cgroup file (cpu.stat, memory.events).
func cgField(t *testing.T, dir, file, key string) uint64 {
	t.Helper()
	for _, l := range strings.Split(readCg(t, dir, file), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok && k == key {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	t.Fatalf("%s has no %s", file, key)
	return 0
}

func TestLimitsVisibleInScopeAndContainer(t *testing.T) {
	requireDelegated(t, "cpu", "memory", "pids")
	env := newWorld(t)
	ok(t, env, "run", "-d", "--network", "none", "--name", "lim", "--memory", "32m", "--memory-reservation", "16m", "--memory-swap", "48m",
		"--cpus", "0.5", "--cpu-shares", "512", "--pids-limit", "100", "busybox", "sleep", "600")
	leaf := leafOf(t, env, "lim")
	want := map[string]string{"memory.max": "33554432", "memory.low": "16777216", "memory.swap.max": "16777216",
		"cpu.max": "50000 100000", "cpu.weight": "20", "pids.max": "100"}
	for file, v := range want {
		if got := readCg(t, leaf, file); got != v {
			t.Errorf("scope's %s = %q, want %q", file, got, v)
		}
	}
	// The container's own /sys/fs/cgroup is its leaf, through its cgroup namespace.
	inside := ok(t, env, "exec", "lim", "sh", "-c",
		"cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max")
	if inside != "0::/\n33554432\n50000 100000\n100\n" {
		t.Errorf("inside the container (exec'd):\n%s", inside)
	}
	// exec'd processes are in the leaf: the limits hold them too.
	if procs := readCg(t, leaf, "cgroup.procs"); len(strings.Fields(procs)) != 1 {
		t.Errorf("leaf's cgroup.procs after exec ended: %q, want the container's one process", procs)
	}
	var hc []struct {
		HostConfig struct {
			Memory, MemoryReservation, MemorySwap, NanoCpus, CpuQuota, PidsLimit int64
			CpuShares, CpuPeriod                                                 uint64
			Cgroups                                                              string
		}
	}
	if err := json.Unmarshal([]byte(ok(t, env, "inspect", "lim")), &hc); err != nil || len(hc) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	h := hc[0].HostConfig
	if h.Memory != 32<<20 || h.MemoryReservation != 16<<20 || h.MemorySwap != 48<<20 || h.NanoCpus != 5e8 ||
		h.CpuQuota != 50000 || h.CpuPeriod != 100000 || h.CpuShares != 512 || h.PidsLimit != 100 || h.Cgroups != "default" {
		t.Errorf("inspect HostConfig %+v", h)
	}
	// Foreground runs get the same; --pids-limit defaults to podman's 2048.
	if out := ok(t, env, "run", "--rm", "--network", "none", "--memory", "64m", "busybox", "cat", "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max"); out != "67108864\n2048\n" {
		t.Errorf("foreground run sees %q, want 67108864 and 2048", out)
	}
	scope := scopeOf(t, env, "lim")
	ok(t, env, "rm", "-f", "lim")
	waitUntil(t, "the scope to go after rm", func() bool { _, err := os.Stat(scope); return os.IsNotExist(err) })
}

func TestLimitsOOMKill(t *testing.T) {
	requireDelegated(t, "memory")
	env := newWorld(t)
	alloc := []string{"busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"}
	// No swap to spill into, whatever the guest's swap.
	flags := []string{"--memory", "32m", "--memory-swap", "32m"}
	r := run(env, nil, append(append([]string{"run", "--network", "none", "--name", "oomfg"}, flags...), alloc...)...)
	if r.Code != 137 {
		t.Errorf("foreground run allocating 64 MiB under 32m: exit %d, want 137\nstderr: %s", r.Code, r.Err)
	}
	if got := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oomfg")); got != "true 137" {
		t.Errorf("inspect OOMKilled ExitCode = %q, want true 137", got)
	}
	ok(t, env, append(append([]string{"run", "-d", "--network", "none", "--name", "oombg"}, flags...), alloc...)...)
	if code := strings.TrimSpace(ok(t, env, "wait", "oombg")); code != "137" {
		t.Errorf("detached: wait printed %q, want 137", code)
	}
	if got := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.OOMKilled}}", "oombg")); got != "true" {
		t.Errorf("detached: OOMKilled = %q, want true", got)
	}
	// Within the limit nothing is killed.
	if out := ok(t, env, "run", "--rm", "--network", "none", "--memory", "32m", "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=1"); out != "" {
		t.Logf("small dd: %s", out)
	}
}

func TestLimitsPidsStopForkBomb(t *testing.T) {
	requireDelegated(t, "pids")
	env := newWorld(t)
	ok(t, env, "run", "-d", "--network", "none", "--name", "bomb", "--pids-limit", "20", "busybox", "sleep", "600")
	leaf := leafOf(t, env, "bomb")
	// From an exec'd shell, which the limit holds too.
	ok(t, env, "exec", "-d", "bomb", "sh", "-c", "while :; do sleep 600 & done")
	waitUntil(t, "pids.events max to count refused forks", func() bool { return cgField(t, leaf, "pids.events", "max") > 0 })
	if n, _ := strconv.Atoi(readCg(t, leaf, "pids.current")); n > 20 {
		t.Errorf("pids.current %d above the limit 20", n)
	}
	// The guest is unharmed: the user can still start processes.
	if r := runCmd(os.Environ(), nil, "sh", "-c", "for i in 1 2 3 4 5; do true & done; wait; echo fine"); r.Code != 0 || r.Out != "fine\n" {
		t.Errorf("the guest cannot fork beside the bomb: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	ok(t, env, "rm", "-f", "bomb")
}

func TestLimitsCPUQuotaThrottles(t *testing.T) {
	requireDelegated(t, "cpu")
	env := newWorld(t)
	ok(t, env, "run", "-d", "--network", "none", "--name", "spin", "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done")
	leaf := leafOf(t, env, "spin")
	if got := readCg(t, leaf, "cpu.max"); got != "50000 100000" {
		t.Errorf("cpu.max = %q", got)
	}
	waitUntil(t, "nr_throttled to grow", func() bool { return cgField(t, leaf, "cpu.stat", "nr_throttled") > 2 })

	// stats: the numbers are there and move.
	type row struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		CPUTime  string `json:"cpu_time"`
		CPU      string `json:"cpu_percent"`
		MemUsage string `json:"mem_usage"`
		PIDs     string `json:"pids"`
		NetIO    string `json:"net_io"`
	}
	read := func() row {
		var rows []row
		out := ok(t, env, "stats", "--no-stream", "--format", "json", "spin")
		if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
			t.Fatalf("stats json: %v\n%s", err, out)
		}
		return rows[0]
	}
	first := read()
	if first.Name != "spin" || first.PIDs != "1" || strings.HasPrefix(first.MemUsage, "--") || first.CPU == "--" || strings.HasPrefix(first.NetIO, "--") {
		t.Errorf("stats: %+v", first)
	}
	time.Sleep(2 * time.Second)
	if second := read(); second.CPUTime == first.CPUTime {
		t.Errorf("cpu_time did not move in 2 s of spinning: %q", first.CPUTime)
	}
	table := ok(t, env, "stats", "--no-stream", "spin")
	if !strings.HasPrefix(table, "ID") || !strings.Contains(table, "CPU %") || !strings.Contains(table, "MEM USAGE / LIMIT") || !strings.Contains(table, "spin") {
		t.Errorf("stats table:\n%s", table)
	}
	if out := ok(t, env, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "spin"); out != "spin 1\n" {
		t.Errorf("stats --format template printed %q", out)
	}
	ok(t, env, "rm", "-f", "spin")
}

func TestPauseUnpause(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "-d", "--network", "none", "--name", "counter", "busybox", "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done")
	lines := func() int { return strings.Count(ok(t, env, "logs", "counter"), "\n") }
	waitUntil(t, "the counter to count", func() bool { return lines() > 3 })
	ok(t, env, "pause", "counter")
	leaf := leafOf(t, env, "counter")
	if got := cgField(t, leaf, "cgroup.events", "frozen"); got != 1 {
		t.Errorf("cgroup.events frozen = %d after pause", got)
	}
	if got := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", "counter")); got != "paused true false" {
		t.Errorf("inspect of a paused container: %q, want paused true false", got)
	}
	if !strings.Contains(ok(t, env, "ps"), "Paused") {
		t.Errorf("ps does not show Paused")
	}
	n := lines()
	time.Sleep(2 * time.Second)
	if m := lines(); m != n {
		t.Errorf("the counter moved while paused: %d -> %d lines", n, m)
	}
	wantError(t, run(env, nil, "stop", "counter"), 125, "can only stop created or running containers")
	wantError(t, run(env, nil, "exec", "counter", "true"), 125, "paused")
	wantError(t, run(env, nil, "pause", "counter"), 125, "already paused")
	ok(t, env, "unpause", "counter")
	waitUntil(t, "the counter to move again", func() bool { return lines() > n+3 })
	wantError(t, run(env, nil, "unpause", "counter"), 125, "is not paused")
	// A paused container is removed with -f, as podman.
	ok(t, env, "container", "pause", "counter")
	ok(t, env, "rm", "-f", "counter")
}

func TestUpdateRunningContainer(t *testing.T) {
	requireDelegated(t, "memory", "pids")
	env := newWorld(t)
	ok(t, env, "run", "-d", "--network", "none", "--name", "upd", "--memory", "32m", "busybox", "sleep", "600")
	leaf := leafOf(t, env, "upd")
	ok(t, env, "update", "--memory", "64m", "--pids-limit", "50", "upd")
	if got := readCg(t, leaf, "memory.max"); got != "67108864" {
		t.Errorf("memory.max after update = %s, want 67108864", got)
	}
	if got := readCg(t, leaf, "pids.max"); got != "50" {
		t.Errorf("pids.max after update = %s, want 50", got)
	}
	if got := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", "upd")); got != "67108864 50" {
		t.Errorf("inspect after update: %q", got)
	}
	// The next start keeps them.
	ok(t, env, "stop", "-t", "0", "upd")
	ok(t, env, "start", "upd")
	if out := ok(t, env, "exec", "upd", "cat", "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max"); out != "67108864\n50\n" {
		t.Errorf("after a restart the container sees %q", out)
	}
	wantError(t, run(env, nil, "update", "--memory", "lots", "upd"), 125, "invalid value for memory")
	ok(t, env, "rm", "-f", "upd")
}

func TestInfoReportsDelegation(t *testing.T) {
	var info struct {
		Host struct {
			CgroupVersion     string   `json:"cgroupVersion"`
			CgroupManager     string   `json:"cgroupManager"`
			CgroupControllers []string `json:"cgroupControllers"`
		} `json:"host"`
	}
	if err := json.Unmarshal([]byte(ok(t, baseEnv, "info", "--format", "json")), &info); err != nil {
		t.Fatal(err)
	}
	h := info.Host
	if h.CgroupVersion != "v2" || h.CgroupManager != "systemd" || strings.Join(h.CgroupControllers, " ") != strings.Join(delegated(t), " ") {
		t.Errorf("info: %+v, want v2, systemd, %v", h, delegated(t))
	}
}

func TestNotDelegatedLimitRefused(t *testing.T) {
	requireNotDelegated(t, "cpuset", "io")
	env := newWorld(t)
	wantError(t, run(env, nil, "run", "--rm", "--cpuset-cpus", "0", "busybox", "true"), 125, "--cpuset-cpus needs the cpuset controller")
	wantError(t, run(env, nil, "run", "--rm", "--blkio-weight", "300", "busybox", "true"), 125, "--blkio-weight needs the io controller")
	if out := ok(t, env, "ps", "-aq"); out != "" {
		t.Errorf("a refused limit left a container: %q", out)
	}
}

func TestLimitsCpusetAndIO(t *testing.T) {
	requireDelegated(t, "cpuset", "io")
	env := newWorld(t)
	out := ok(t, env, "run", "--rm", "--network", "none", "--cpuset-cpus", "0", "--cpuset-mems", "0", "--blkio-weight", "300",
		"busybox", "cat", "/sys/fs/cgroup/cpuset.cpus", "/sys/fs/cgroup/cpuset.mems", "/sys/fs/cgroup/io.weight")
	if out != "0\n0\ndefault 2930\n" {
		t.Errorf("cpuset and io limits inside the container: %q", out)
	}
}

// --cgroups=no-conmon: only the container goes in the scope, which starts
// with its first process; exec joins it too.
func TestLimitsNoConmon(t *testing.T) {
	requireDelegated(t, "memory")
	env := newWorld(t)
	ok(t, env, "run", "-d", "--network", "none", "--name", "nc", "--cgroups=no-conmon", "--memory", "32m", "busybox", "sleep", "600")
	leaf := leafOf(t, env, "nc")
	if got := readCg(t, leaf, "memory.max"); got != "33554432" {
		t.Errorf("memory.max = %s", got)
	}
	if out := ok(t, env, "exec", "nc", "cat", "/proc/self/cgroup", "/sys/fs/cgroup/memory.max"); out != "0::/\n33554432\n" {
		t.Errorf("exec in a no-conmon container sees %q", out)
	}
	if got := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.HostConfig.Cgroups}}", "nc")); got != "no-conmon" {
		t.Errorf("inspect Cgroups = %q", got)
	}
	scope := scopeOf(t, env, "nc")
	ok(t, env, "rm", "-f", "nc")
	waitUntil(t, "the scope to go after rm", func() bool { _, err := os.Stat(scope); return os.IsNotExist(err) })
}

// A restart policy's runs share the one scope, each under the limits.
func TestLimitsAcrossRestarts(t *testing.T) {
	requireDelegated(t, "memory")
	env := newWorld(t)
	ok(t, env, "run", "-d", "--network", "none", "--name", "rs", "--restart", "always", "--memory", "32m", "busybox", "sh", "-c",
		"cat /sys/fs/cgroup/memory.max; sleep 1; exit 3")
	scope := scopeOf(t, env, "rs")
	waitUntil(t, "two restarts", func() bool {
		n, _ := strconv.Atoi(strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.RestartCount}}", "rs")))
		return n >= 2
	})
	if n := strings.Count(ok(t, env, "logs", "rs"), "33554432\n"); n < 3 {
		t.Errorf("%d runs saw memory.max 32m, want every one (3 or more)", n)
	}
	if again := scopeOf(t, env, "rs"); again != scope || scope == "" {
		t.Errorf("scope %q, then %q: want the same across restarts", scope, again)
	}
	ok(t, env, "stop", "-t", "0", "rs")
	ok(t, env, "rm", "-f", "rs")
	waitUntil(t, "the scope to go after rm", func() bool { _, err := os.Stat(scope); return os.IsNotExist(err) })
}
