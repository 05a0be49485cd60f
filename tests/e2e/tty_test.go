package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ttyTimeout bounds every wait on a terminal session.
const ttyTimeout = 10 * time.Second

// openPTY returns a new pseudo-terminal's master and slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("pty number: %v", err)
	}
	sfd, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("open /dev/pts/%d: %v", n, err)
	}
	// Non-blocking, so that the runtime poller serves reads and Close ends them.
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	master = os.NewFile(uintptr(fd), "ptmx")
	slave = os.NewFile(uintptr(sfd), fmt.Sprintf("/dev/pts/%d", n))
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

func setWinsize(t *testing.T, f *os.File, rows, cols uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		t.Fatalf("set window size: %v", err)
	}
}

// ttyOutput collects what the master reads until the slave side is closed.
type ttyOutput struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func readMaster(master *os.File) *ttyOutput {
	o := &ttyOutput{done: make(chan struct{})}
	go func() {
		defer close(o.done)
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			o.mu.Lock()
			o.buf.Write(b[:n])
			o.mu.Unlock()
			// EIO: the last slave descriptor was closed, the output is complete.
			if err != nil {
				return
			}
		}
	}()
	return o
}

func (o *ttyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor polls until the output matches re, failing the test on timeout.
func (o *ttyOutput) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !re.MatchString(o.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on the terminal after %v; got:\n%q", re, timeout, o.String())
		}
		select {
		case <-o.done:
			if !re.MatchString(o.String()) {
				t.Fatalf("terminal closed without %q; got:\n%q", re, o.String())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitClosed waits for the end of the output.
func (o *ttyOutput) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-o.done:
	case <-time.After(ttyTimeout):
		t.Fatalf("terminal still open after %v; got:\n%q", ttyTimeout, o.String())
	}
}

// ttySession is rpod running with the slave as its controlling terminal and stdio.
type ttySession struct {
	cmd    *exec.Cmd
	master *os.File
	slave  *os.File
	out    *ttyOutput
	exited chan struct{}
}

func startTTY(t *testing.T, rows, cols uint16, args ...string) *ttySession {
	t.Helper()
	return startTTYIn(t, baseEnv, rows, cols, args...)
}

func (s *ttySession) write(t *testing.T, text string) {
	t.Helper()
	if _, err := s.master.Write([]byte(text)); err != nil {
		t.Fatalf("write to the terminal: %v", err)
	}
}

// wait closes the test's copy of the slave, then waits for the output to
// end and for rpod to exit, and returns its exit code.
func (s *ttySession) wait(t *testing.T) int {
	t.Helper()
	s.slave.Close()
	select {
	case <-s.exited:
	case <-time.After(ttyTimeout):
		t.Fatalf("rpod still runs after %v; terminal:\n%q", ttyTimeout, s.out.String())
	}
	s.out.waitClosed(t)
	return s.cmd.ProcessState.ExitCode()
}

// busybox sh prints "/ # ", then may redraw it after asking the terminal for the cursor position.
var shellPrompt = regexp.MustCompile(`/ # `)

func TestTTYRun(t *testing.T) {
	s := startTTY(t, 30, 100, "run", "--rm", "-t", "busybox", "sh", "-c", "tty; stty size; echo TERM=$TERM")
	code := s.wait(t)
	out := s.out.String()
	if code != 0 {
		t.Errorf("rpod exited %d, want 0; terminal:\n%q", code, out)
	}
	for _, want := range []string{"/dev/pts/0", "30 100", "TERM=xterm"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "not a tty") {
		t.Errorf("the container has no terminal:\n%q", out)
	}
}

func TestTTYInteractiveShell(t *testing.T) {
	s := startTTY(t, 30, 100, "run", "--rm", "-it", "busybox", "sh")
	s.out.waitFor(t, shellPrompt, ttyTimeout)
	s.write(t, "echo $((6*7))\n")
	s.out.waitFor(t, regexp.MustCompile(`(?m)^42\r*$`), ttyTimeout)
	s.write(t, "exit 3\n")
	if code := s.wait(t); code != 3 {
		t.Errorf("rpod exited %d, want the shell's 3; terminal:\n%q", code, s.out.String())
	}
	// rpod puts the terminal back the way it found it.
	fd, err := unix.Open(s.slave.Name(), unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("reopen %s: %v", s.slave.Name(), err)
	}
	defer unix.Close(fd)
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 || tio.Lflag&unix.ICANON == 0 {
		t.Errorf("terminal left in raw mode (lflag %#x)", tio.Lflag)
	}
}

func TestTTYWindowChange(t *testing.T) {
	s := startTTY(t, 30, 100, "run", "--rm", "-it", "busybox", "sh")
	s.out.waitFor(t, shellPrompt, ttyTimeout)
	s.write(t, "stty size\n")
	s.out.waitFor(t, regexp.MustCompile(`(?m)^30 100\r*$`), ttyTimeout)

	setWinsize(t, s.slave, 40, 120)
	if err := s.cmd.Process.Signal(syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	// rpod handles the signal asynchronously: ask until the new size shows.
	want := regexp.MustCompile(`(?m)^40 120\r*$`)
	deadline := time.Now().Add(ttyTimeout)
	for !want.MatchString(s.out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("the container never saw the new window size; terminal:\n%q", s.out.String())
		}
		s.write(t, "stty size\n")
		time.Sleep(100 * time.Millisecond)
	}
	s.write(t, "exit\n")
	if code := s.wait(t); code != 0 {
		t.Errorf("rpod exited %d, want 0; terminal:\n%q", code, s.out.String())
	}
}
