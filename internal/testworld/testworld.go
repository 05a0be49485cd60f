// Package testworld runs the built rpod binary for the end-to-end suites
// (tests/e2e on the host, tests/guest in the systemd guest): private user
// worlds, commands and podman's error contract.
package testworld

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Result is what one command did.
type Result struct {
	Out, Err string
	Code     int
}

// Suite is one test binary's rpod and the directory its worlds live in.
type Suite struct {
	Bin     string        // the rpod binary
	Dir     string        // base directory: worlds and registries.conf
	Timeout time.Duration // for each command
	Keep    []string      // variables of the test's own environment every world keeps
}

// MakeWorld creates the directories of one rpod user world in dir: its own
// store, runtime directory (and so its own pause process) and config.
func (s *Suite) MakeWorld(dir string) ([]string, error) {
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
		"CONTAINERS_REGISTRIES_CONF=" + filepath.Join(s.Dir, "registries.conf"),
		"PATH=" + os.Getenv("PATH"),
		"LANG=C",
	}
	for _, k := range s.Keep {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

// Teardown stops a world's pause process and removes its store, which holds
// files owned by subordinate ids that only the namespace can delete.
func (s *Suite) Teardown(env []string) {
	if env == nil {
		return
	}
	s.Run(env, nil, "rm", "-af")
	s.Run(env, nil, "unshare", "rm", "-rf", Getenv(env, "XDG_DATA_HOME")+"/rpod")
	s.Run(env, nil, "system", "migrate")
}

// NewWorld gives a test a private store and namespace, torn down after it;
// extra overrides env as WithEnv does.
func (s *Suite) NewWorld(t *testing.T, extra ...string) []string {
	t.Helper()
	dir, err := os.MkdirTemp(s.Dir, "world-")
	if err != nil {
		t.Fatal(err)
	}
	env, err := s.MakeWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	env = WithEnv(env, extra...)
	t.Cleanup(func() { s.Teardown(env) })
	return env
}

// Run executes rpod with env and optional stdin; it never fails the test itself.
func (s *Suite) Run(env []string, stdin io.Reader, args ...string) Result {
	return s.RunCmd(env, stdin, s.Bin, args...)
}

// RunCmd executes any command as Run does rpod.
func (s *Suite) RunCmd(env []string, stdin io.Reader, name string, args ...string) Result {
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Out: out.String(), Err: errb.String()}
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

// OK runs rpod in env and fails the test unless it exits 0; it returns stdout.
func (s *Suite) OK(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := s.Run(env, nil, args...)
	if r.Code != 0 {
		t.Fatalf("rpod %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Out, r.Err)
	}
	return r.Out
}

// WantError checks podman's contract for a failure: the exit code, and a
// stderr whose only Error line contains want.
func WantError(t *testing.T, r Result, code int, want string) {
	t.Helper()
	if line, one := ErrorLine(t, r, code); one && !strings.Contains(line, want) {
		t.Errorf("error line %q does not contain %q", line, want)
	}
}

// ErrorLine checks the exit code and returns stderr's "Error: " line, and
// whether there was exactly one (else the test has failed, and the lines
// come back joined).
func ErrorLine(t *testing.T, r Result, code int) (string, bool) {
	t.Helper()
	if r.Code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.Code, code, r.Out, r.Err)
	}
	var lines []string
	for _, l := range strings.Split(r.Err, "\n") {
		if strings.HasPrefix(l, "Error: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Errorf("want exactly one Error: line on stderr, got %d:\n%s", len(lines), r.Err)
		return strings.Join(lines, "\n"), false
	}
	return lines[0], true
}

// Getenv is key's last value in env.
func Getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// WithEnv returns env with each K=V of kv set (an entry "K=" with nothing
// after it removes K).
func WithEnv(env []string, kv ...string) []string {
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

// WaitUntil polls cond every 100 ms for up to limit.
func WaitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
