package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/testworld"
)

// health is inspect's .State.Health.
type health struct {
	Status        string
	FailingStreak int
	Log           []struct {
		Start, End time.Time
		ExitCode   int
		Output     string
	}
}

func inspectHealth(t *testing.T, env []string, name string) *health {
	t.Helper()
	out := ok(t, env, "inspect", "--format", "{{json .State.Health}}", name)
	var h *health
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &h); err != nil {
		t.Fatalf("inspect health of %s: %v: %q", name, err, out)
	}
	return h
}

// waitLong polls cond for up to 90 s: health checks exec into the container
// each time, which takes a while on a loaded machine.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testworld.WaitUntil(t, 90*time.Second, what, cond)
}

func TestHealthcheckRun(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "h", "--health-cmd", "echo checking; test -e /tmp/ok", "--health-interval", "disable",
		"busybox", "sleep", "1000")
	if h := inspectHealth(t, env, "h"); h == nil || h.Status != "starting" || len(h.Log) != 0 {
		t.Errorf("before any check: %+v, want starting with an empty log", h)
	}
	r := run(env, nil, "healthcheck", "run", "h")
	if r.Code != 1 || strings.TrimSpace(r.Out) != "unhealthy" {
		t.Errorf("failing check: exit %d, out %q, err %q; want 1 and unhealthy", r.Code, r.Out, r.Err)
	}
	h := inspectHealth(t, env, "h")
	if h.Status != "starting" || h.FailingStreak != 1 || len(h.Log) != 1 || h.Log[0].ExitCode != 1 ||
		!strings.Contains(h.Log[0].Output, "checking") || h.Log[0].End.Before(h.Log[0].Start) {
		t.Errorf("after one failure of 3 retries: %+v", h)
	}
	ok(t, env, "exec", "h", "touch", "/tmp/ok")
	if out := ok(t, env, "healthcheck", "run", "h"); out != "" {
		t.Errorf("healthy check printed %q", out)
	}
	h = inspectHealth(t, env, "h")
	if h.Status != "healthy" || h.FailingStreak != 0 || len(h.Log) != 2 || h.Log[1].ExitCode != 0 {
		t.Errorf("after a success: %+v", h)
	}
	if l := psLine(t, env, "h"); !strings.Contains(l, "Up ") || !strings.Contains(l, "(healthy)") {
		t.Errorf("ps: %q, want Up ... (healthy)", l)
	}
	for i := 0; i < 5; i++ {
		ok(t, env, "healthcheck", "run", "h")
	}
	if h = inspectHealth(t, env, "h"); len(h.Log) != 5 {
		t.Errorf("the log keeps %d results, want the last 5", len(h.Log))
	}
	var cfg struct {
		Test              []string
		Interval, Timeout int64
		Retries           int
	}
	out := ok(t, env, "inspect", "--format", "{{json .Config.Healthcheck}}", "h")
	if err := json.Unmarshal([]byte(out), &cfg); err != nil || len(cfg.Test) != 2 || cfg.Test[0] != "CMD-SHELL" ||
		cfg.Timeout != int64(30*time.Second) || cfg.Retries != 3 || cfg.Interval != 0 {
		t.Errorf("Config.Healthcheck: %s (%v)", out, err)
	}

	ok(t, env, "run", "-d", "--name", "plain", "busybox", "sleep", "1000")
	wantError(t, run(env, nil, "healthcheck", "run", "plain"), 125, "has no defined healthcheck")
	if out := ok(t, env, "inspect", "--format", "{{json .State.Health}}", "plain"); strings.TrimSpace(out) != "null" {
		t.Errorf("health of a container without a check: %s", out)
	}
	ok(t, env, "create", "--name", "idle", "--health-cmd", "true", "busybox", "true")
	wantError(t, run(env, nil, "healthcheck", "run", "idle"), 125, "is not running")
	wantError(t, run(env, nil, "healthcheck", "run", "nosuch"), 125, "nosuch")
	ok(t, env, "rm", "-f", "-t", "0", "h", "plain")
}

func TestHealthcheckFlagErrors(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--health-cmd", "true", "--health-on-failure", "explode"}, `invalid on-failure action "explode"`},
		{[]string{"--health-cmd", "true", "--health-interval", "soon"}, `invalid --health-interval "soon"`},
		{[]string{"--health-cmd", "true", "--health-retries", "0"}, "--health-retries"},
		{[]string{"--health-cmd", "[]"}, "the array is empty"},
		{[]string{"--health-cmd", "true", "--no-healthcheck"}, "cannot specify both"},
	} {
		args := append(append([]string{"run", "--name", "bad"}, tc.args...), "busybox", "true")
		wantError(t, run(env, nil, args...), 125, tc.want)
	}
	ok(t, env, "create", "--name", "off", "--health-cmd", "none", "busybox", "true")
	if out := ok(t, env, "inspect", "--format", "{{json .Config.Healthcheck}}", "off"); strings.TrimSpace(out) != "null" {
		t.Errorf("--health-cmd none: Config.Healthcheck %s", out)
	}
	if out := ok(t, env, "ps", "-a", "-q"); len(strings.Fields(out)) != 1 {
		t.Errorf("failed runs left containers: %q", out)
	}
}

func TestHealthcheckTimer(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "good", "--health-cmd", `["CMD", "true"]`, "--health-interval", "1s", "busybox", "sleep", "1000")
	ok(t, env, "run", "-d", "--name", "bad", "--health-cmd", "exit 3", "--health-interval", "1s", "--health-retries", "2",
		"busybox", "sleep", "1000")
	ok(t, env, "run", "-d", "--name", "slow", "--health-cmd", "exit 1", "--health-interval", "1s", "--health-retries", "1",
		"--health-start-period", "1h", "busybox", "sleep", "1000")
	waitLong(t, "good to be healthy", func() bool { return inspectHealth(t, env, "good").Status == "healthy" })
	if l := psLine(t, env, "good"); !strings.Contains(l, "(healthy)") {
		t.Errorf("ps: %q", l)
	}
	waitLong(t, "bad to be unhealthy", func() bool { return inspectHealth(t, env, "bad").Status == "unhealthy" })
	if h := inspectHealth(t, env, "bad"); h.FailingStreak < 2 || h.Log[len(h.Log)-1].ExitCode != 3 {
		t.Errorf("unhealthy: %+v", h)
	}
	if l := psLine(t, env, "bad"); !strings.Contains(l, "(unhealthy)") {
		t.Errorf("ps: %q", l)
	}
	// Its failures in the start period are logged, not counted.
	waitLong(t, "slow to be checked twice", func() bool { return len(inspectHealth(t, env, "slow").Log) >= 2 })
	if h := inspectHealth(t, env, "slow"); h.Status != "starting" || h.FailingStreak != 0 {
		t.Errorf("in the start period: %+v", h)
	}
	if r := run(env, nil, "healthcheck", "run", "slow"); r.Code != 1 || strings.TrimSpace(r.Out) != "starting" {
		t.Errorf("healthcheck run in the start period: exit %d, %q %q", r.Code, r.Out, r.Err)
	}
	if l := psLine(t, env, "slow"); !strings.Contains(l, "(starting)") {
		t.Errorf("ps: %q", l)
	}
	// Stopped: no more checks, and no health in ps.
	ok(t, env, "stop", "-t", "0", "good")
	n := len(inspectHealth(t, env, "good").Log)
	time.Sleep(3 * time.Second)
	if m := len(inspectHealth(t, env, "good").Log); m != n {
		t.Errorf("checks went on after stop: %d results, then %d", n, m)
	}
	if l := psLine(t, env, "good"); strings.Contains(l, "healthy") {
		t.Errorf("ps of a stopped container: %q", l)
	}
	ok(t, env, "rm", "-f", "-t", "0", "good", "bad", "slow")
}

func TestHealthOnFailure(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	common := []string{"--health-cmd", "test ! -e /tmp/broken", "--health-interval", "1s", "--health-retries", "1", "--stop-timeout", "2"}
	for _, action := range []string{"kill", "stop", "restart", "none"} {
		args := append(append([]string{"run", "-d", "--name", action, "--health-on-failure", action}, common...), "busybox", "sleep", "1000")
		ok(t, env, args...)
	}
	waitLong(t, "the checks to pass", func() bool {
		for _, a := range []string{"kill", "stop", "restart", "none"} {
			if inspectHealth(t, env, a).Status != "healthy" {
				return false
			}
		}
		return true
	})
	for _, a := range []string{"kill", "stop", "restart", "none"} {
		ok(t, env, "exec", a, "touch", "/tmp/broken")
	}
	for _, a := range []string{"kill", "stop"} {
		waitLong(t, a+" to act", func() bool {
			return strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Status}}", a)) == "exited"
		})
		if code := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.ExitCode}}", a)); code != "137" {
			t.Errorf("%s: exit code %s, want 137 (sleep as pid 1 ignores SIGTERM)", a, code)
		}
	}
	waitLong(t, "restart to restart", func() bool {
		return strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.RestartCount}}", "restart")) != "0"
	})
	waitLong(t, "none to be unhealthy", func() bool { return inspectHealth(t, env, "none").Status == "unhealthy" })
	if st := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Status}}", "none")); st != "running" {
		t.Errorf("none: %s, want running", st)
	}
	ok(t, env, "rm", "-f", "-t", "0", "kill", "stop", "restart", "none")
}

func TestLogDriverJournaldWithoutJournal(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	r := run(env, nil, "run", "--rm", "--log-driver", "journald", "busybox", "true")
	wantError(t, r, 125, "/run/systemd/journal/socket does not exist")
	// No systemd here: the default stays k8s-file even with a unit's variables.
	ok(t, withEnv(env, "RPOD_SYSTEMD_UNIT=x.service", "INVOCATION_ID=1234"), "run", "-d", "--name", "dflt", "busybox", "echo", "hello")
	waitUntil(t, "the log", func() bool { return strings.Contains(ok(t, env, "logs", "dflt"), "hello") })
}

// TestHealthForeground: rpod run without -d is its container's monitor and
// runs the checks itself.
func TestHealthForeground(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	r := run(env, nil, "run", "--name", "fg", "--health-cmd", "exit 1", "--health-interval", "1s", "--health-retries", "1",
		"--health-on-failure", "kill", "busybox", "sleep", "1000")
	if r.Code != 137 {
		t.Errorf("run with a failing check and on-failure kill: exit %d, stderr %q; want 137", r.Code, r.Err)
	}
	if h := inspectHealth(t, env, "fg"); h == nil || h.Status != "unhealthy" || len(h.Log) == 0 {
		t.Errorf("health after the kill: %+v", h)
	}
}
