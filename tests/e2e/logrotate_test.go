package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkLineRun checks that out is "line I" lines with I counting up by one
// and ending at last, and returns how many there are.
func checkLineRun(t *testing.T, out string, last int) int {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	first := last - len(lines) + 1
	for i, l := range lines {
		if want := fmt.Sprintf("line %d", first+i); l != want {
			t.Fatalf("line %d of the output is %q, want %q (output ends %q)", i, l, want, out[max(0, len(out)-60):])
		}
	}
	return len(lines)
}

func TestLogRotateMaxSize(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	const limit = 20000 // 20kb, decimal as podman's
	ok(t, env, "run", "-d", "--name", "chatty", "--log-opt", "max-size=20kb", "busybox", "sh", "-c",
		`i=0; while [ $i -lt 5000 ]; do echo "line $i"; i=$((i+1)); done`)
	if out := ok(t, env, "wait", "chatty"); out != "0\n" {
		t.Fatalf("wait: %q", out)
	}
	n := checkLineRun(t, ok(t, env, "logs", "chatty"), 4999)
	if n < 300 {
		t.Errorf("logs kept only %d lines: the previous file was not read", n)
	}
	if out := ok(t, env, "logs", "--tail", "2", "chatty"); out != "line 4998\nline 4999\n" {
		t.Errorf("logs --tail 2: %q", out)
	}
	path := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.LogPath}}", "chatty"))
	logs, _ := filepath.Glob(path + "*")
	if len(logs) != 2 {
		t.Errorf("log files %v, want the log and one rotated file", logs)
	}
	for _, f := range logs {
		if fi, err := os.Stat(f); err != nil || fi.Size() > limit {
			t.Errorf("%s: %v, over %d bytes", f, err, limit)
		}
	}
}

func TestLogRotateFollow(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "bursts", "--log-opt", "max-size=10k", "busybox", "sh", "-c",
		`sleep 0.3; i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); [ $((i % 50)) = 0 ] && sleep 0.05; done; true`)
	// Follows across many rotations until the container exits. Every line
	// comes whole and in order up to the last; a reader stalled for two
	// rotations by a loaded machine may skip a file, which is only logged
	// (the unit tests check the reader's catching up exactly).
	out := ok(t, env, "logs", "-f", "bursts")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	prev := -1
	for _, l := range lines {
		var n int
		if _, err := fmt.Sscanf(l, "line %d", &n); err != nil || n <= prev || fmt.Sprintf("line %d", n) != l {
			t.Fatalf("logs -f printed %q after line %d", l, prev)
		}
		if n != prev+1 {
			t.Logf("logs -f skipped lines %d to %d", prev+1, n-1)
		}
		prev = n
	}
	if prev != 2999 || len(lines) < 1000 {
		t.Errorf("logs -f printed %d lines, the last line %d", len(lines), prev)
	}
}

func TestLogDriverNone(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "hi")
	if out := ok(t, env, "wait", "quiet"); out != "0\n" {
		t.Fatalf("wait: %q", out)
	}
	wantError(t, run(env, nil, "logs", "quiet"), 125, "this container is using the 'none' log driver, cannot read logs")
	ok(t, env, "create", "--name", "quiet2", "--log-driver", "none", "busybox", "echo", "hi")
	wantError(t, run(env, nil, "logs", "quiet2"), 125, "this container is using the 'none' log driver, cannot read logs")
	// --log-opt path= puts the log where the user says.
	logFile := filepath.Join(t.TempDir(), "web.log")
	ok(t, env, "run", "-d", "--name", "elsewhere", "--log-opt", "path="+logFile, "busybox", "echo", "there")
	ok(t, env, "wait", "elsewhere")
	if out := ok(t, env, "logs", "elsewhere"); out != "there\n" {
		t.Errorf("logs with --log-opt path: %q", out)
	}
	if b, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(b), " stdout F there") {
		t.Errorf("%s: %q %v", logFile, b, err)
	}
	if out := ok(t, env, "inspect", "--format", "{{.LogPath}}", "elsewhere"); out != logFile+"\n" {
		t.Errorf("inspect LogPath: %q", out)
	}
	// json-file is podman's alias of k8s-file.
	ok(t, env, "run", "-d", "--name", "jf", "--log-driver", "json-file", "busybox", "echo", "hi")
	ok(t, env, "wait", "jf")
	if out := ok(t, env, "logs", "jf"); out != "hi\n" {
		t.Errorf("logs of a json-file container: %q", out)
	}
}

func TestLogOptErrors(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-opt", "max-size=abc"}, `invalid --log-opt max-size "abc"`},
		{[]string{"--log-opt", "max-size"}, `invalid log option "max-size"`},
		{[]string{"--log-driver", "syslog"}, `invalid log driver "syslog"`},
		{[]string{"--log-driver", "journald"}, "no journald driver"},
	} {
		for _, cmd := range []string{"run", "create"} {
			args := append(append([]string{cmd, "--name", "bad"}, tc.args...), "busybox", "true")
			wantError(t, run(env, nil, args...), 125, tc.want)
		}
	}
	if out := ok(t, env, "ps", "-a", "-q"); out != "" {
		t.Errorf("failed runs left containers: %q", out)
	}
}
