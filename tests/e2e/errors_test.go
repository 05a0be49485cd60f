package e2e

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rpod/rpod/internal/testworld"
)

// errorLine checks the exit code and returns stderr's only "Error: " line.
func errorLine(t *testing.T, r result, code int) string {
	t.Helper()
	line, _ := testworld.ErrorLine(t, r, code)
	return line
}

// wantErrorAny is wantError for messages that may be worded in one of several ways.
func wantErrorAny(t *testing.T, r result, code int, wants ...string) {
	t.Helper()
	line := errorLine(t, r, code)
	for _, w := range wants {
		if strings.Contains(line, w) {
			return
		}
	}
	t.Errorf("error line %q contains none of %q", line, wants)
}

// containers returns rpod ps -a's output and the ids it lists, sorted.
func containers(t *testing.T, env []string) (string, []string) {
	t.Helper()
	out := ok(t, env, "ps", "-a")
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 0 {
			ids = append(ids, f[0])
		}
	}
	slices.Sort(ids)
	return out, ids
}

// checkIntact fails if a container appeared since before (the ids then) or
// one is reported running, and checks that a run still works.
func checkIntact(t *testing.T, env []string, before []string) {
	t.Helper()
	out, after := containers(t, env)
	if !slices.Equal(before, after) {
		t.Errorf("containers before %v, after %v:\n%s", before, after, out)
	}
	if strings.Contains(out, " Up ") {
		t.Errorf("a container is reported running:\n%s", out)
	}
	if out := ok(t, env, "run", "--rm", "busybox", "echo", "still works"); out != "still works\n" {
		t.Errorf("run after the failure printed %q", out)
	}
}

func TestErrorsPull(t *testing.T) {
	_, before := containers(t, baseEnv)
	for _, tc := range []struct {
		name  string
		args  []string
		wants []string
	}{
		{"unknown-image", []string{"run", "--rm", regAddr + "/nosuch"}, []string{"manifest unknown", "name unknown"}},
		{"unknown-tag", []string{"run", "--rm", regAddr + "/busybox:nosuchtag"}, []string{"manifest unknown", "name unknown"}},
		{"unreachable-registry", []string{"run", "--rm", "127.0.0.1:1/busybox"}, []string{"connection refused"}},
		{"short-name-not-found", []string{"run", "--rm", "nosuchshort"}, []string{"nosuchshort"}},
		{"invalid-reference", []string{"pull", "UPPER/Case"}, []string{"invalid reference format"}},
		// run looks the name up locally first, which words the same mistake differently.
		{"invalid-reference-run", []string{"run", "--rm", "UPPER/Case"}, []string{"invalid reference format", "must be lowercase"}},
		{"pull-unknown", []string{"pull", regAddr + "/nosuch"}, []string{"manifest unknown", "name unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rpod(t, tc.args...)
			wantErrorAny(t, r, 125, tc.wants...)
			if r.Out != "" {
				t.Errorf("stdout %q, want nothing", r.Out)
			}
			checkIntact(t, baseEnv, before)
		})
	}
}

func TestPullOutput(t *testing.T) {
	hexID := regexp.MustCompile(`^[0-9a-f]{64}\n$`)
	r := rpod(t, "pull", "-q", "busybox")
	if r.Code != 0 || !hexID.MatchString(r.Out) || r.Err != "" {
		t.Fatalf("pull -q: exit %d stdout %q stderr %q, want only the image id", r.Code, r.Out, r.Err)
	}
	id := r.Out
	if out := ok(t, baseEnv, "images", "-q"); !strings.Contains(out, id[:12]) {
		t.Errorf("images -q does not list %s:\n%s", id[:12], out)
	}
	env := newWorld(t)
	r = run(env, nil, "pull", "busybox")
	if r.Code != 0 {
		t.Fatalf("pull: exit %d: %s", r.Code, r.Err)
	}
	if r.Out != id {
		t.Errorf("pull in a fresh world printed %q on stdout, want the id %q", r.Out, id)
	}
	for _, want := range []string{"Trying to pull " + regAddr + "/busybox", "Copying blob", "Writing manifest"} {
		if !strings.Contains(r.Err, want) {
			t.Errorf("pull progress lacks %q:\n%s", want, r.Err)
		}
	}
	// Pulling again is cheap and prints the same id.
	if out := ok(t, env, "pull", "-q", "busybox"); out != id {
		t.Errorf("second pull printed %q, want %q", out, id)
	}
}

func TestErrorsUsage(t *testing.T) {
	_, before := containers(t, baseEnv)
	for _, tc := range []struct {
		name  string
		args  []string
		wants []string
	}{
		{"run-bogus-flag", []string{"run", "--bogus", "busybox"}, []string{"unknown flag: --bogus", "see rpod run --help"}},
		{"run-bogus-shorthand", []string{"run", "-Z", "busybox"}, []string{"unknown shorthand flag", "see rpod run --help"}},
		{"ps-bogus-flag", []string{"ps", "--bogus"}, []string{"unknown flag: --bogus", "see rpod ps --help"}},
		{"global-bogus-flag", []string{"--bogus", "ps"}, []string{"unknown flag: --bogus", "--help"}},
		{"unknown-command", []string{"nosuchcommand"}, []string{"unknown command", `"nosuchcommand"`}},
		{"flag-after-image", []string{"run", "--rm", "busybox", "--name"}, nil},
		{"name-without-value", []string{"run", "--name"}, []string{"flag needs an argument", "--help"}},
		{"rm-unknown", []string{"rm", "nosuchcontainer"}, []string{"no container with name or ID", "nosuchcontainer"}},
		{"rm-nothing", []string{"rm"}, []string{"at least one"}},
		{"relative-workdir", []string{"run", "--rm", "-w", "relative/dir", "busybox", "true"}, []string{"--workdir", "absolute"}},
		{"bad-entrypoint-json", []string{"run", "--rm", "--entrypoint", `["unclosed`, "busybox"}, []string{"--entrypoint"}},
		{"bad-env", []string{"run", "--rm", "-e", "=x", "busybox", "true"}, []string{"environment variable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rpod(t, tc.args...)
			if tc.wants == nil {
				// "--name" is the container's argument here, not rpod's.
				if r.Code != 127 {
					t.Errorf("exit %d, want the container's 127\nstderr: %s", r.Code, r.Err)
				}
			} else {
				line := errorLine(t, r, 125)
				for _, w := range tc.wants {
					if !strings.Contains(line, w) {
						t.Errorf("error line %q lacks %q", line, w)
					}
				}
			}
			checkIntact(t, baseEnv, before)
		})
	}
}

// A run whose rpod is killed leaves a container record behind, but never one
// reported running once its process is gone, and rm works on it.
func TestErrorsKilledRun(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	_, before := containers(t, env)
	cmd := exec.Command(rpodBin, "run", "--rm", "--name", "killed", "busybox", "sleep", "4343")
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := waitForProcess(t, "sleep 4343")
	cmd.Process.Kill()
	cmd.Wait()
	// The container dies with the rpod that ran it.
	waitGone(t, pid)
	out := ok(t, env, "ps", "-a")
	if strings.Contains(out, " Up ") {
		t.Errorf("a container whose process is dead (a zombie here: pid 1 does not reap) is listed as running:\n%s", out)
	}
	if out := ok(t, env, "ps"); strings.Contains(out, "killed") {
		t.Errorf("rpod ps lists the dead container:\n%s", out)
	}
	ok(t, env, "rm", "killed")
	checkIntact(t, env, before)
}
