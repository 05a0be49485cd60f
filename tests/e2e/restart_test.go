package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ctrState is the part of a container's recorded state these tests read.
type ctrState struct {
	Status       string `json:"status"`
	ExitCode     int    `json:"exitCode"`
	RestartCount int    `json:"restartCount"`
	MonitorPid   int    `json:"monitorPid"`
	Pid          int    `json:"pid"`
}

// recordedState reads state.json from the world's store. (inspect's
// RestartCount is not filled in yet; this reads the record it would show.)
func recordedState(t *testing.T, env []string, name string) ctrState {
	t.Helper()
	id := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.ID}}", name))
	m, _ := filepath.Glob(filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod/storage/rpod/containers", id, "state.json"))
	if len(m) != 1 {
		t.Fatalf("state of %s: found %v", name, m)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	var s ctrState
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("state of %s: %v: %s", name, err, b)
	}
	return s
}

// monitorGone reports whether the container's monitor has finished.
func monitorGone(s ctrState) bool {
	if s.MonitorPid == 0 {
		return true
	}
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(s.MonitorPid)))
	return err != nil
}

func TestRestartOnFailureRetriesTwice(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo try; exit 3")
	waitUntil(t, "the retries to end", func() bool {
		s := recordedState(t, env, "flaky")
		return s.Status == "exited" && s.RestartCount == 2 && monitorGone(s)
	})
	if s := recordedState(t, env, "flaky"); s.RestartCount != 2 || s.ExitCode != 3 {
		t.Errorf("after on-failure:2: %+v, want 2 restarts and exit 3", s)
	}
	if out := ok(t, env, "logs", "flaky"); out != "try\ntry\ntry\n" {
		t.Errorf("logs of three runs: %q", out)
	}
	if l := psLine(t, env, "flaky"); !strings.Contains(l, "Exited (3)") {
		t.Errorf("ps: %q", l)
	}
	// A command that succeeds is not restarted by on-failure.
	ok(t, env, "run", "-d", "--name", "fine", "--restart", "on-failure", "busybox", "true")
	waitUntil(t, "the monitor of the successful run to end", func() bool { return monitorGone(recordedState(t, env, "fine")) })
	if s := recordedState(t, env, "fine"); s.RestartCount != 0 || s.ExitCode != 0 {
		t.Errorf("on-failure restarted a success: %+v", s)
	}
}

func TestRestartAlwaysUntilStopped(t *testing.T) {
	for _, policy := range []string{"always", "unless-stopped"} {
		t.Run(policy, func(t *testing.T) {
			env := newWorld(t)
			ok(t, env, "pull", "-q", "busybox")
			// Runs a moment, exits 0; the policy starts it again.
			ok(t, env, "run", "-d", "--name", "loop", "--restart", policy, "busybox", "sh", "-c", "echo run; sleep 0.3")
			waitUntil(t, "two restarts", func() bool { return recordedState(t, env, "loop").RestartCount >= 2 })
			waitUntil(t, "ps to show it running again", func() bool { return strings.Contains(psLine(t, env, "loop"), "Up ") })
			if out := ok(t, env, "stop", "loop"); out != "loop\n" {
				t.Errorf("stop printed %q", out)
			}
			s := recordedState(t, env, "loop")
			if s.Status != "exited" {
				t.Fatalf("after stop: %+v", s)
			}
			// Stopped by the user: the policy does not undo it.
			waitUntil(t, "the monitor to end after stop", func() bool { return monitorGone(recordedState(t, env, "loop")) })
			time.Sleep(time.Second)
			after := recordedState(t, env, "loop")
			if after.Status != "exited" || after.RestartCount != s.RestartCount {
				t.Errorf("restarted after rpod stop: %+v, was %+v", after, s)
			}
			if l := psLine(t, env, "loop"); !strings.Contains(l, "Exited") {
				t.Errorf("ps after stop: %q", l)
			}
			// A start makes the policy act again.
			ok(t, env, "start", "loop")
			waitUntil(t, "a restart after start", func() bool { return recordedState(t, env, "loop").RestartCount >= 1 })
			// Between two runs there is nothing to kill: try until a run is hit.
			waitUntil(t, "rpod kill to hit a run", func() bool { return run(env, nil, "kill", "loop").Code == 0 })
			waitUntil(t, "the monitor to end after kill", func() bool { return monitorGone(recordedState(t, env, "loop")) })
			if s := recordedState(t, env, "loop"); s.Status != "exited" {
				t.Errorf("restarted after rpod kill: %+v", s)
			}
		})
	}
}

func TestStopTimeout(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	// sh as PID 1 ignores SIGTERM: only SIGKILL ends it.
	ok(t, env, "run", "-d", "--name", "stubborn", "--stop-timeout", "1", "busybox", "sh", "-c", "while true; do sleep 0.1; done")
	ok(t, env, "stop", "stubborn")
	if out := ok(t, env, "wait", "stubborn"); out != "137\n" {
		t.Errorf("--stop-timeout 1, stop: exit %q, want 137 (SIGKILL)", out)
	}
	if out := ok(t, env, "inspect", "--format", "{{.State.Status}}", "stubborn"); out != "exited\n" {
		t.Errorf("after stop: %q", out)
	}
	// restart and rm -f use it too.
	ok(t, env, "restart", "stubborn")
	waitUntil(t, "the restarted container", func() bool { return strings.Contains(psLine(t, env, "stubborn"), "Up ") })
	ok(t, env, "rm", "-f", "stubborn")
	// The default timeout still applies to a container without one.
	ok(t, env, "run", "-d", "--name", "polite", "busybox", "sh", "-c", `trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done`)
	// PID 1 drops a TERM that comes before its trap is set.
	waitUntil(t, "the trap to be set", func() bool { return run(env, nil, "logs", "polite").Out == "ready\n" })
	ok(t, env, "stop", "polite")
	if out := ok(t, env, "wait", "polite"); out != "7\n" {
		t.Errorf("plain stop: exit %q, want 7 from the TERM trap", out)
	}
	ok(t, env, "create", "--name", "made", "--stop-timeout", "3", "busybox", "true")
	wantError(t, run(env, nil, "run", "--stop-timeout", "soon", "busybox", "true"), 125, "--stop-timeout")
}

func TestRestartBadInput(t *testing.T) {
	env := newWorld(t)
	for _, p := range []string{"sometimes", "on-failure:x", "always:3"} {
		r := run(env, nil, "run", "--restart", p, "busybox", "true")
		wantError(t, r, 125, "invalid restart policy")
		if !strings.Contains(r.Err, "on-failure[:N], always or unless-stopped") {
			t.Errorf("--restart=%s: the error does not list the valid policies: %s", p, r.Err)
		}
	}
	ok(t, env, "pull", "-q", "busybox")
	wantError(t, run(env, nil, "run", "--rm", "--restart", "always", "busybox", "true"), 125,
		`the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"`)
	wantError(t, run(env, nil, "create", "--rm", "--restart=on-failure:1", "busybox", "true"), 125, "conflicts with --restart")
	ok(t, env, "run", "--rm", "--restart", "no", "busybox", "true")
	if out := ok(t, env, "ps", "-a", "-q"); out != "" {
		t.Errorf("failed runs left containers: %q", out)
	}
}

func TestRestartStopBetweenRuns(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	// A crash loop spends most of its time in the growing backoff.
	ok(t, env, "run", "-d", "--name", "crash", "--restart", "always", "busybox", "sh", "-c", "exit 1")
	waitUntil(t, "four restarts", func() bool { return recordedState(t, env, "crash").RestartCount >= 4 })
	ok(t, env, "stop", "crash")
	waitUntil(t, "the monitor to end after stop", func() bool { return monitorGone(recordedState(t, env, "crash")) })
	s := recordedState(t, env, "crash")
	time.Sleep(2 * time.Second)
	if after := recordedState(t, env, "crash"); after.RestartCount != s.RestartCount || after.Status != "exited" {
		t.Errorf("restarted after stop: %+v, was %+v", after, s)
	}
	// A start begins the count anew; rm -f ends the loop for good.
	ok(t, env, "start", "crash")
	waitUntil(t, "a restart after start", func() bool {
		s := recordedState(t, env, "crash")
		return s.RestartCount >= 1 && s.RestartCount < 4
	})
	m := recordedState(t, env, "crash").MonitorPid
	ok(t, env, "rm", "-f", "crash")
	if out := ok(t, env, "ps", "-a", "-q"); out != "" {
		t.Errorf("rm -f left %q", out)
	}
	if m != 0 {
		waitUntil(t, "the monitor to end after rm -f", func() bool { return gone(m) })
	}
}

// TestRestartAlwaysNotOnScopeStop: stopping the scope or unit a container
// runs in (a shutdown does it to every user scope) sends TERM to the
// monitor and the container alike; --restart=always must not start the
// container again under a stopping system.
func TestRestartAlwaysNotOnScopeStop(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "1000")
	var s ctrState
	waitUntil(t, "the container to run", func() bool {
		s = recordedState(t, env, "always")
		return s.Status == "running" && s.Pid > 0 && s.MonitorPid > 0
	})
	// As systemd stops a scope: TERM to every process in it, then KILL to
	// what is left (sleep as PID 1 has no default action for TERM).
	for _, pid := range []int{s.MonitorPid, s.Pid} {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	time.Sleep(500 * time.Millisecond)
	syscall.Kill(s.Pid, syscall.SIGKILL)
	waitUntil(t, "the monitor to end", func() bool {
		s = recordedState(t, env, "always")
		return s.Status == "exited" && monitorGone(s)
	})
	if s.RestartCount != 0 {
		t.Errorf("after TERM to the monitor and the container: %+v, want no restart", s)
	}
	if got := strings.TrimSpace(ok(t, env, "ps", "-a", "--format", "{{.State}}", "--filter", "name=always")); got != "exited" {
		t.Errorf("ps: %q, want exited", got)
	}
}
