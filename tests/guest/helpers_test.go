//go:build guest

package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Everything is emulated in the guest: generous timeouts.
const (
	commandTimeout = 5 * time.Minute
	waitTimeout    = 60 * time.Second
)

// makeWorld creates the directories of one rpod user world: its own store,
// runtime directory (and so its own pause process) and config. The session
// bus stays the user's own, so that rpod reaches the user's systemd.
func makeWorld(dir string) ([]string, error) {
	for _, d := range []string{"home", "run", "data", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	env := []string{
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"CONTAINERS_REGISTRIES_CONF=" + filepath.Join(baseDir, "registries.conf"),
		"PATH=" + os.Getenv("PATH"),
		"LANG=C",
	}
	if bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); bus != "" {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus)
	}
	return env, nil
}

// teardown stops a world's pause process and removes its store, which holds
// files owned by subordinate ids that only the namespace can delete.
func teardown(env []string) {
	if env == nil {
		return
	}
	run(env, nil, "rm", "-af")
	run(env, nil, "unshare", "rm", "-rf", getenv(env, "XDG_DATA_HOME")+"/rpod")
	run(env, nil, "system", "migrate")
}

// newWorld gives a test a private store and namespace with busybox pulled;
// extra overrides env ("DBUS_SESSION_BUS_ADDRESS=" takes the bus away).
func newWorld(t *testing.T, extra ...string) []string {
	t.Helper()
	dir, err := os.MkdirTemp(baseDir, "world-")
	if err != nil {
		t.Fatal(err)
	}
	env, err := makeWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	env = withEnv(env, extra...)
	t.Cleanup(func() { teardown(env) })
	ok(t, env, "pull", "-q", "busybox")
	return env
}

func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// withEnv returns env with each K=V of kv set (an entry "K=" with nothing
// after it removes K).
func withEnv(env []string, kv ...string) []string {
	out := append([]string{}, env...)
	for _, e := range kv {
		k, v, _ := strings.Cut(e, "=")
		out = slices.DeleteFunc(out, func(o string) bool { return strings.HasPrefix(o, k+"=") })
		if v != "" {
			out = append(out, e)
		}
	}
	return out
}

type result struct {
	Out, Err string
	Code     int
}

// run executes rpod with env and optional stdin; it never fails the test itself.
func run(env []string, stdin io.Reader, args ...string) result {
	return runCmd(env, stdin, rpodBin, args...)
}

// runCmd executes any command as run does rpod.
func runCmd(env []string, stdin io.Reader, name string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{Out: out.String(), Err: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		r.Code = -1
		r.Err += err.Error()
	}
	return r
}

// rpod runs rpod in the shared world.
func rpod(t *testing.T, args ...string) result {
	t.Helper()
	return run(baseEnv, nil, args...)
}

// ok runs rpod in env and fails the test unless it exits 0; it returns stdout.
func ok(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := run(env, nil, args...)
	if r.Code != 0 {
		t.Fatalf("rpod %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Out, r.Err)
	}
	return r.Out
}

// wantError checks podman's contract for a failure: the exit code, and a
// stderr whose only Error line contains want.
func wantError(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.Code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.Code, code, r.Out, r.Err)
	}
	var errLines []string
	for _, l := range strings.Split(r.Err, "\n") {
		if strings.HasPrefix(l, "Error: ") {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 {
		t.Errorf("want exactly one Error: line on stderr, got %d:\n%s", len(errLines), r.Err)
		return
	}
	if !strings.Contains(errLines[0], want) {
		t.Errorf("error line %q does not contain %q", errLines[0], want)
	}
}

// waitUntil polls cond for up to a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// userService is the cgroup directory of this user's systemd instance.
func userService() string {
	uid := os.Getuid()
	return fmt.Sprintf("/sys/fs/cgroup/user.slice/user-%d.slice/user@%d.service", uid, uid)
}

// delegated lists the controllers systemd delegates to this user's manager:
// the guest's default delegates cpu cpuset io memory pids, a boot with
// run-in-vm --delegate default Debian's own cpu memory pids.
func delegated(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(userService() + "/cgroup.controllers")
	if err != nil {
		t.Fatalf("controllers of the user's manager: %v", err)
	}
	return strings.Fields(string(b))
}

// requireDelegated skips the test unless every one of controllers is delegated.
func requireDelegated(t *testing.T, controllers ...string) {
	t.Helper()
	have := delegated(t)
	for _, c := range controllers {
		if !slices.Contains(have, c) {
			t.Skipf("controller %s is not delegated here (delegated: %v)", c, have)
		}
	}
}

// requireNotDelegated skips the test unless none of controllers is
// delegated. Name such tests TestNotDelegated*: guest-test runs them in a
// boot of their own with Debian's default delegation (cpu memory pids).
func requireNotDelegated(t *testing.T, controllers ...string) {
	t.Helper()
	have := delegated(t)
	for _, c := range controllers {
		if slices.Contains(have, c) {
			t.Skipf("controller %s is delegated here (delegated: %v)", c, have)
		}
	}
}
