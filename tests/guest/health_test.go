//go:build guest

package guest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/testworld"
)

// With the user's systemd instance there, a container's periodic health
// checks run from a transient <id>.timer and <id>.service, as podman's,
// and not from the monitor.

// healthOf is inspect's .State.Health.
type healthOf struct {
	Status        string
	FailingStreak int
	Log           []struct {
		Start    time.Time
		ExitCode int
	}
}

func inspectHealthOf(t *testing.T, env []string, name string) healthOf {
	t.Helper()
	out := ok(t, env, "inspect", "--format", "{{json .State.Health}}", name)
	var h *healthOf
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &h); err != nil || h == nil {
		t.Fatalf("inspect health of %s: %v: %q", name, err, out)
	}
	return *h
}

// waitHealth polls for up to 3 minutes: each check is an rpod exec, slow
// in the emulated guest.
func waitHealth(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testworld.WaitUntil(t, 3*time.Minute, what, cond)
}

// unitProps are the properties of unit that the tests read.
func unitProps(t *testing.T, unit string) map[string]string {
	t.Helper()
	r := systemctl(t, "show", unit, "-p", "LoadState", "-p", "ActiveState", "-p", "LastTriggerUSecMonotonic",
		"-p", "ExecStart", "-p", "Environment", "-p", "ActiveEnterTimestampMonotonic")
	props := map[string]string{}
	for _, l := range strings.Split(r.Out, "\n") {
		if k, v, found := strings.Cut(l, "="); found {
			props[k] = v
		}
	}
	return props
}

// waitUnitGone waits until systemd has unloaded unit.
func waitUnitGone(t *testing.T, unit string) {
	t.Helper()
	waitUntil(t, unit+" gone", func() bool { return unitProps(t, unit)["LoadState"] == "not-found" })
}

func waitUnitActive(t *testing.T, unit string) {
	t.Helper()
	waitUntil(t, unit+" active", func() bool { return unitProps(t, unit)["ActiveState"] == "active" })
}

// healthDebug is what says why a container's checks are not as expected:
// which driver runs them and why (the container's health-driver file),
// the monitor's complaints, and the timer as systemd sees it.
func healthDebug(t *testing.T, env []string, name string) string {
	t.Helper()
	dir := filepath.Dir(strings.TrimSpace(run(env, nil, "inspect", "-f", "{{.LogPath}}", name).Out))
	id := strings.TrimSpace(run(env, nil, "inspect", "-f", "{{.ID}}", name).Out)
	var b strings.Builder
	for _, f := range []string{"health-driver", "monitor.log"} {
		r := run(env, nil, "unshare", "tail", "-n", "20", filepath.Join(dir, f))
		fmt.Fprintf(&b, "%s: %s%s\n", f, r.Out, r.Err)
	}
	fmt.Fprintf(&b, "%s\n%s", systemctl(t, "status", "--no-pager", id+".timer", id+".service").Out, journal(t))
	return b.String()
}

// waitDebug is waitHealth, failing with healthDebug's story of name.
func waitDebug(t *testing.T, env []string, name, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, healthDebug(t, env, name))
		}
	}
}

func containerID(t *testing.T, env []string, name string) string {
	t.Helper()
	return strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.ID}}", name))
}

// TestHealthTimer: the checks of a container run from its systemd timer,
// which the container's stop and removal take away.
func TestHealthTimer(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "-d", "--name", "ht", "--health-cmd", "test -e /tmp/ok", "--health-interval", "1s",
		"--health-retries", "1", "busybox", "sleep", "1000")
	id := containerID(t, env, "ht")
	timer, service := id+".timer", id+".service"
	waitUnitActive(t, timer)
	if out := systemctl(t, "list-timers", "--all", "--no-pager").Out; !strings.Contains(out, timer) {
		t.Errorf("systemctl --user list-timers does not list %s:\n%s", timer, out)
	}
	sp := unitProps(t, service)
	if !strings.Contains(sp["ExecStart"], "healthcheck run "+id) {
		t.Errorf("%s runs %s, want rpod healthcheck run %s", service, sp["ExecStart"], id)
	}
	// The check opens the world's store, not the user's default one.
	if want := "XDG_DATA_HOME=" + getenv(env, "XDG_DATA_HOME"); !strings.Contains(sp["Environment"], want) {
		t.Errorf("%s's environment %q lacks %s", service, sp["Environment"], want)
	}

	waitHealth(t, "ht unhealthy", func() bool { return inspectHealthOf(t, env, "ht").Status == "unhealthy" })
	if p := unitProps(t, timer); p["LastTriggerUSecMonotonic"] == "0" || p["LastTriggerUSecMonotonic"] == "" {
		t.Errorf("ht is unhealthy but %s never triggered: %v", timer, p)
	}
	ok(t, env, "exec", "ht", "touch", "/tmp/ok")
	waitHealth(t, "ht healthy", func() bool { return inspectHealthOf(t, env, "ht").Status == "healthy" })
	if l := ok(t, env, "ps", "--format", "{{.Names}} {{.Status}}"); !strings.Contains(l, "ht Up") || !strings.Contains(l, "(healthy)") {
		t.Errorf("ps: %q, want (healthy)", l)
	}
	ok(t, env, "exec", "ht", "rm", "/tmp/ok")
	waitHealth(t, "ht unhealthy again", func() bool { return inspectHealthOf(t, env, "ht").Status == "unhealthy" })

	// Gone once the stop returns: the monitor stops both before it records the exit.
	ok(t, env, "stop", "-t", "0", "ht")
	for _, u := range []string{timer, service} {
		if p := unitProps(t, u); p["ActiveState"] == "active" || p["ActiveState"] == "activating" {
			t.Errorf("after rpod stop, %s is %s", u, p["ActiveState"])
		}
		waitUnitGone(t, u)
	}
	// A new start has a new timer; its removal takes it away.
	ok(t, env, "start", "ht")
	waitUnitActive(t, timer)
	ok(t, env, "rm", "-f", "-t", "0", "ht")
	waitUnitGone(t, timer)
	waitUnitGone(t, service)
}

// TestHealthTimerOnly: with the timer there the monitor runs no checks of
// its own: once the timer is taken away, no check runs any more.
func TestHealthTimerOnly(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "-d", "--name", "ho", "--health-cmd", "true", "--health-interval", "1s", "busybox", "sleep", "1000")
	id := containerID(t, env, "ho")
	waitHealth(t, "ho healthy", func() bool { return inspectHealthOf(t, env, "ho").Status == "healthy" })
	systemctlOK(t, "stop", id+".timer")
	waitUntil(t, "the last check to end", func() bool {
		s := unitProps(t, id+".service")["ActiveState"]
		return s != "active" && s != "activating"
	})
	last := func() time.Time {
		h := inspectHealthOf(t, env, "ho")
		return h.Log[len(h.Log)-1].Start
	}
	before := last()
	time.Sleep(5 * time.Second)
	if after := last(); !after.Equal(before) {
		t.Errorf("a check ran without the timer (last check at %s, then %s): the monitor runs checks too", before, after)
	}
	ok(t, env, "rm", "-f", "-t", "0", "ho")
}

// killAll SIGKILLs the container's monitor and command, as a crash
// would, and waits until the container shows as exited.
func killAll(t *testing.T, env []string, name string) {
	t.Helper()
	for _, f := range []string{"{{.State.ConmonPid}}", "{{.State.Pid}}"} {
		if p, _ := strconv.Atoi(strings.TrimSpace(ok(t, env, "inspect", "-f", f, name))); p > 0 {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	waitUntil(t, name+" exited", func() bool {
		return strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.Status}}", name)) == "exited"
	})
}

// TestHealthTimerStale: a timer left by a monitor that was killed is
// replaced by the next start's, and stops itself once the check it runs
// finds the container ended.
func TestHealthTimerStale(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "-d", "--name", "hs", "--health-cmd", "true", "--health-interval", "1h", "busybox", "sleep", "1000")
	id := containerID(t, env, "hs")
	timer := id + ".timer"
	waitUnitActive(t, timer)
	first := unitProps(t, timer)["ActiveEnterTimestampMonotonic"]
	killAll(t, env, "hs")
	if p := unitProps(t, timer); p["ActiveState"] != "active" {
		t.Fatalf("the timer of a killed monitor is %s, want still active", p["ActiveState"])
	}
	ok(t, env, "start", "hs")
	waitDebug(t, env, "hs", "a new "+timer, func() bool {
		p := unitProps(t, timer)
		return p["ActiveState"] == "active" && p["ActiveEnterTimestampMonotonic"] != first
	})
	killAll(t, env, "hs")
	// What the timer would do in an hour: run the check, which finds the container ended.
	systemctlOK(t, "start", id+".service")
	waitUnitGone(t, timer)
	waitUnitGone(t, id+".service")
	ok(t, env, "rm", "-f", "hs")
}

// TestHealthOnFailureTimer: --health-on-failure acts from a check that the
// timer ran: kill ends the container, restart runs it again with a new timer.
func TestHealthOnFailureTimer(t *testing.T) {
	env := newWorld(t)
	common := []string{"--health-cmd", "test ! -e /tmp/broken", "--health-interval", "1s", "--health-retries", "1"}
	for _, a := range []string{"kill", "restart"} {
		args := append(append([]string{"run", "-d", "--name", "of" + a, "--health-on-failure", a}, common...), "busybox", "sleep", "1000")
		ok(t, env, args...)
	}
	kill, restart := containerID(t, env, "ofkill"), containerID(t, env, "ofrestart")
	waitUnitActive(t, kill+".timer")
	waitUnitActive(t, restart+".timer")
	waitHealth(t, "the checks to pass", func() bool {
		return inspectHealthOf(t, env, "ofkill").Status == "healthy" && inspectHealthOf(t, env, "ofrestart").Status == "healthy"
	})
	ok(t, env, "exec", "ofkill", "touch", "/tmp/broken")
	ok(t, env, "exec", "ofrestart", "touch", "/tmp/broken")
	// Until the monitor records the exit, after stopping the timer, a dead
	// container shows as exited with -1.
	waitHealth(t, "ofkill killed", func() bool {
		return strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "ofkill")) != "running 0"
	})
	waitUntil(t, "ofkill's exit recorded", func() bool {
		return strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.ExitCode}}", "ofkill")) != "-1"
	})
	if code := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.ExitCode}}", "ofkill")); code != "137" {
		t.Errorf("ofkill: exit code %s, want 137", code)
	}
	waitUnitGone(t, kill+".timer")
	waitHealth(t, "ofrestart restarted", func() bool {
		return strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.RestartCount}}", "ofrestart")) != "0"
	})
	// /tmp/broken stays in the rootfs: the container turns unhealthy and
	// restarts again and again, with a new timer each run.
	waitUnitActive(t, restart+".timer")
	ok(t, env, "rm", "-f", "-t", "0", "ofkill", "ofrestart")
	waitUnitGone(t, restart+".timer")
}

// TestHealthNotifyHealthyUnit: a Notify=healthy unit is active once the
// check, run from the timer, finds the container healthy: the monitor,
// the unit's main process, watches the recorded health.
func TestHealthNotifyHealthyUnit(t *testing.T) {
	env := newWorld(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	installQuadlet(t, env, "qhealthy.container", fmt.Sprintf(`[Container]
Image=busybox
ContainerName=qhealthy
Notify=healthy
HealthCmd=test -e /d/go
HealthInterval=1s
Volume=%s:/d
Exec=sleep 1000

[Service]
Environment=%s
TimeoutStartSec=600
`, dir, worldServiceEnv(env)))
	systemctlOK(t, "start", "--no-block", "qhealthy.service")
	waitUntil(t, "the container running", func() bool {
		return strings.Contains(run(env, nil, "ps", "--format", "{{.Names}}").Out, "qhealthy")
	})
	id := containerID(t, env, "qhealthy")
	waitUnitActive(t, id+".timer")
	waitHealth(t, "a failed check", func() bool { return len(inspectHealthOf(t, env, "qhealthy").Log) > 0 })
	if st := strings.TrimSpace(systemctl(t, "is-active", "qhealthy.service").Out); st != "activating" {
		t.Errorf("qhealthy.service is %s before the container is healthy, want activating\n%s", st,
			systemctl(t, "status", "--no-pager", "qhealthy.service").Out)
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, "qhealthy.service active once healthy", func() bool {
		return strings.TrimSpace(systemctl(t, "is-active", "qhealthy.service").Out) == "active"
	})
	systemctlOK(t, "stop", "qhealthy.service")
	waitUnitGone(t, id+".timer")
}
