package e2e

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/testworld"
)

// waitUntil polls cond for up to 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testworld.WaitUntil(t, 20*time.Second, what, cond)
}

func psLine(t *testing.T, env []string, name string) string {
	t.Helper()
	for _, l := range strings.Split(ok(t, env, "ps", "-a"), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[len(f)-1] == name {
			return l
		}
	}
	return ""
}

func TestDetachedRunLogsStopWait(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	id := strings.TrimSpace(ok(t, env, "run", "-d", "--name", "ticker", "busybox", "sh", "-c",
		`echo out; echo err >&2; i=0; while true; i=$((i+1)); do echo tick $i; sleep 0.1; done`))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want the full id", id)
	}
	if l := psLine(t, env, "ticker"); !strings.Contains(l, "Up ") || !strings.HasPrefix(l, id[:12]) {
		t.Errorf("ps does not show it running: %q", l)
	}
	waitUntil(t, "three ticks in the log", func() bool { return strings.Contains(run(env, nil, "logs", "ticker").Out, "tick 3\n") })
	r := run(env, nil, "logs", "ticker")
	if !strings.HasPrefix(r.Out, "out\ntick 1\n") || r.Err != "err\n" {
		t.Errorf("logs: stdout %q stderr %q", r.Out, r.Err)
	}
	if out := ok(t, env, "logs", "--tail", "1", "ticker"); !strings.HasPrefix(out, "tick ") || strings.Count(out, "\n") != 1 {
		t.Errorf("logs --tail 1: %q", out)
	}
	if out := ok(t, env, "logs", "-t", "--tail", "1", "ticker"); !strings.Contains(out, "Z tick ") {
		t.Errorf("logs -t: %q", out)
	}
	// sh as PID 1 ignores SIGTERM: stop kills it after the timeout, as podman.
	if out := ok(t, env, "stop", "-t", "1", "ticker"); out != "ticker\n" {
		t.Errorf("stop printed %q", out)
	}
	if l := psLine(t, env, "ticker"); !strings.Contains(l, "Exited (137)") {
		t.Errorf("after stop: %q", l)
	}
	if out := ok(t, env, "wait", "ticker"); out != "137\n" {
		t.Errorf("wait: %q", out)
	}
	// A trap makes stop's SIGTERM enough.
	ok(t, env, "run", "-d", "--name", "polite", "busybox", "sh", "-c", `trap "exit 5" TERM; echo ready; while true; do sleep 0.1; done`)
	// Only once the trap is set: a TERM before it is ignored by sh as pid 1.
	waitUntil(t, "the trap to be set", func() bool { return run(env, nil, "logs", "polite").Out == "ready\n" })
	start := time.Now()
	ok(t, env, "stop", "polite")
	if out := ok(t, env, "wait", "polite"); out != "5\n" {
		t.Errorf("container that traps TERM: wait %q (stop took %v)", out, time.Since(start))
	}
}

func TestDetachedExitCodesAndErrors(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "three", "busybox", "sh", "-c", "exit 3")
	if out := ok(t, env, "wait", "three"); out != "3\n" {
		t.Errorf("wait: %q", out)
	}
	wantError(t, run(env, nil, "run", "-d", "busybox", "nosuchcmd"), 127, "executable file not found")
	wantError(t, run(env, nil, "kill", "three"), 125, "can only kill running containers")
	wantError(t, run(env, nil, "kill", "-s", "NOPE", "three"), 125, `invalid signal "NOPE"`)
	wantError(t, run(env, nil, "stop", "nosuch"), 125, "no container with name or ID")
	wantError(t, run(env, nil, "logs", "nosuch"), 125, "no container with name or ID")
	// -d --rm: the monitor removes the container when it ends.
	ok(t, env, "run", "-d", "--rm", "--name", "gone", "busybox", "true")
	waitUntil(t, "the --rm container to go", func() bool { return psLine(t, env, "gone") == "" })
}

func TestCreateStartKill(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	id := strings.TrimSpace(ok(t, env, "create", "--name", "later", "busybox", "sh", "-c", `trap "exit 9" HUP; echo started; while true; do sleep 0.1; done`))
	if len(id) != 64 {
		t.Fatalf("create printed %q", id)
	}
	if l := psLine(t, env, "later"); !strings.Contains(l, "Created") {
		t.Errorf("created container: %q", l)
	}
	if out := ok(t, env, "start", "later"); out != "later\n" {
		t.Errorf("start printed %q", out)
	}
	waitUntil(t, "the started container's output", func() bool { return run(env, nil, "logs", "later").Out == "started\n" })
	ok(t, env, "kill", "-s", "HUP", "later")
	if out := ok(t, env, "wait", "later"); out != "9\n" {
		t.Errorf("after kill -s HUP: wait %q", out)
	}
	// start again, in the foreground this time.
	ok(t, env, "create", "--name", "fg", "busybox", "sh", "-c", "echo in the foreground; exit 4")
	r := run(env, nil, "start", "-a", "fg")
	if r.Code != 4 || r.Out != "in the foreground\n" {
		t.Errorf("start -a: exit %d, %q %s", r.Code, r.Out, r.Err)
	}
}

func TestMonitorKilledIsReportedHonestly(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "orphan", "busybox", "sleep", "5151")
	ctr := waitForProcess(t, "sleep 5151")
	mon := 0
	for _, l := range strings.Split(ok(t, env, "unshare", "cat", "/proc/"+strconv.Itoa(ctr)+"/status"), "\n") {
		if v, found := strings.CutPrefix(l, "PPid:"); found {
			mon, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if mon == 0 {
		t.Fatal("no monitor found")
	}
	syscall.Kill(mon, syscall.SIGKILL)
	// The container dies with its monitor and is never reported as running.
	waitUntil(t, "the container to be reported exited", func() bool { return strings.Contains(psLine(t, env, "orphan"), "Exited") })
	if out := ok(t, env, "wait", "orphan"); out != "-1\n" {
		t.Errorf("exit code after the monitor died: %q, want -1 (unknown)", out)
	}
	ok(t, env, "rm", "orphan")
	ok(t, env, "run", "--rm", "busybox", "true")
}

// A foreground run --rm removes its container as soon as stop ends it:
// stop still reports success, as podman's does.
func TestStopForegroundRm(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	fg := exec.Command(rpodBin, "run", "--rm", "--name", "fg", "busybox", "sleep", "1000")
	fg.Env = env
	if err := fg.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- fg.Wait() }()
	waitUntil(t, "the foreground container to run", func() bool { return strings.Contains(psLine(t, env, "fg"), "Up") })
	if out := ok(t, env, "stop", "-t", "1", "fg"); out != "fg\n" {
		t.Errorf("stop printed %q", out)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		fg.Process.Kill()
		t.Fatal("the foreground rpod did not exit after stop")
	}
}
