package e2e

import (
	"bytes"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTTYIn is startTTY in a world of the test's own.
func startTTYIn(t *testing.T, env []string, rows, cols uint16, args ...string) *ttySession {
	t.Helper()
	master, slave := openPTY(t)
	setWinsize(t, slave, rows, cols)
	cmd := exec.Command(rpodBin, args...)
	cmd.Env = withEnv(env, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	s := &ttySession{cmd: cmd, master: master, slave: slave, out: readMaster(master), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// piped is rpod running with pipes for its stdio.
type piped struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	out, err *lockedBuffer
	done     chan struct{}
}

func startPiped(t *testing.T, env []string, args ...string) *piped {
	t.Helper()
	p := &piped{cmd: exec.Command(rpodBin, args...), out: &lockedBuffer{}, err: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.err
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *piped) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("rpod %v still runs; stdout %q stderr %q", p.cmd.Args[1:], p.out.String(), p.err.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

func TestAttachTTYShellAndDetach(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-dit", "--name", "shell", "busybox", "sh")
	s := startTTYIn(t, env, 40, 120, "attach", "shell")
	s.write(t, "echo hi\n")
	s.out.waitFor(t, regexp.MustCompile(`(?m)^hi\r*$`), ttyTimeout)
	// The client's window size reached the container's terminal.
	s.write(t, "stty size\n")
	s.out.waitFor(t, regexp.MustCompile(`(?m)^40 120\r*$`), ttyTimeout)
	// A resized terminal: attach passes the new size on at SIGWINCH.
	setWinsize(t, s.slave, 50, 150)
	if err := s.cmd.Process.Signal(syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^50 150\r*$`)
	for deadline := time.Now().Add(ttyTimeout); !want.MatchString(s.out.String()); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the container never saw the new window size; terminal:\n%q", s.out.String())
		}
		s.write(t, "stty size\n")
	}
	s.write(t, "\x10\x11")
	if code := s.wait(t); code != 0 {
		t.Errorf("detach: rpod exited %d, want 0; terminal:\n%q", code, s.out.String())
	}
	if strings.Contains(s.out.String(), "Error") {
		t.Errorf("detach printed an error:\n%q", s.out.String())
	}
	if l := psLine(t, env, "shell"); !strings.Contains(l, "Up ") {
		t.Fatalf("the container did not survive the detach: %q", l)
	}
	// Attach again: the shell's state is still there; its exit ends attach with its code.
	s = startTTYIn(t, env, 30, 100, "attach", "--detach-keys", "ctrl-a", "shell")
	s.write(t, "echo again\n")
	s.out.waitFor(t, regexp.MustCompile(`(?m)^again\r*$`), ttyTimeout)
	s.write(t, "exit 4\n")
	if code := s.wait(t); code != 4 {
		t.Errorf("attach after the shell exited: %d, want 4; terminal:\n%q", code, s.out.String())
	}
	waitUntil(t, "the shell to be reported exited", func() bool { return strings.Contains(psLine(t, env, "shell"), "Exited (4)") })
	if out := ok(t, env, "logs", "shell"); !strings.Contains(out, "hi") || !strings.Contains(out, "again") {
		t.Errorf("the attached session is not in the log: %q", out)
	}
}

func TestAttachOutputAndExitCode(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "talker", "busybox", "sh", "-c",
		`while [ ! -f /tmp/go ]; do echo waiting; sleep 0.2; done; echo done; echo bye >&2; exit 3`)
	p := startPiped(t, env, "attach", "--no-stdin", "talker")
	waitUntil(t, "attach to show the output", func() bool { return strings.Contains(p.out.String(), "waiting\n") })
	ok(t, env, "exec", "talker", "touch", "/tmp/go")
	if code := p.wait(t); code != 3 {
		t.Errorf("attach exited %d, want the container's 3; stderr %q", code, p.err.String())
	}
	if !strings.HasSuffix(p.out.String(), "waiting\ndone\n") || p.err.String() != "bye\n" {
		t.Errorf("attach: stdout %q, stderr %q", p.out.String(), p.err.String())
	}
}

// rpod attach forwards the signals it is sent to the container, as rpod
// run does (runtime.proxiedSignals); with --sig-proxy=false a signal acts
// on rpod attach alone, and the container runs on.
func TestAttachSigProxy(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "sigp", "busybox", "sh", "-c",
		`trap "echo got; exit 42" USR1 TERM; while true; do echo tick; sleep 0.1; done`)
	p := startPiped(t, env, "attach", "--no-stdin", "--sig-proxy=false", "sigp")
	waitUntil(t, "attach to show the output", func() bool { return strings.Contains(p.out.String(), "tick\n") })
	p.cmd.Process.Signal(syscall.SIGTERM) // USR1 would do nothing to a Go program that does not catch it
	if code := p.wait(t); code == 42 || strings.Contains(p.out.String(), "got") {
		t.Errorf("--sig-proxy=false: attach exited %d with %q: the signal reached the container", code, p.out.String())
	}
	if out := ok(t, env, "inspect", "--format", "{{.State.Status}}", "sigp"); strings.TrimSpace(out) != "running" {
		t.Errorf("after --sig-proxy=false attach's signal the container is %q, want running", out)
	}
	p = startPiped(t, env, "attach", "--no-stdin", "sigp")
	waitUntil(t, "attach to show the output", func() bool { return strings.Contains(p.out.String(), "tick\n") })
	p.cmd.Process.Signal(syscall.SIGUSR1)
	if code := p.wait(t); code != 42 || !strings.HasSuffix(p.out.String(), "got\n") {
		t.Errorf("attach exited %d with %q, want the container's trap code 42 after got", code, p.out.String())
	}
}

func TestAttachInteractiveStdin(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	// -i without -t: the monitor keeps the container's stdin open.
	ok(t, env, "run", "-di", "--name", "echoer", "busybox", "sh", "-c", `while read l; do echo "got $l"; done; echo eof`)
	p := startPiped(t, env, "attach", "echoer")
	io.WriteString(p.stdin, "one\n")
	waitUntil(t, "the echoed line", func() bool { return strings.Contains(p.out.String(), "got one\n") })
	io.WriteString(p.stdin, "\x10\x11")
	if code := p.wait(t); code != 0 {
		t.Errorf("detach: exit %d, stderr %q", code, p.err.String())
	}
	if l := psLine(t, env, "echoer"); !strings.Contains(l, "Up ") {
		t.Fatalf("the container did not survive the detach: %q", l)
	}
	// Detach keys disabled: they go to the container like any input.
	p = startPiped(t, env, "attach", "--detach-keys", "", "echoer")
	io.WriteString(p.stdin, "\x10\x11two\n")
	waitUntil(t, "the second line", func() bool { return strings.Contains(p.out.String(), "got \x10\x11two\n") })
	ok(t, env, "kill", "echoer")
	if code := p.wait(t); code != 137 {
		t.Errorf("attach after kill: exit %d, want 137", code)
	}
}

func TestAttachErrors(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "--name", "done", "busybox", "true")
	wantError(t, run(env, nil, "attach", "done"), 125, "you can only attach to running containers")
	ok(t, env, "create", "--name", "made", "busybox", "true")
	wantError(t, run(env, nil, "container", "attach", "made"), 125, "you can only attach to running containers")
	wantError(t, run(env, nil, "attach", "nosuch"), 125, "no container with name or ID")
	wantError(t, run(env, nil, "attach", "--detach-keys", "ctrl-1", "made"), 125, "invalid detach keys")
}
