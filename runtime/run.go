package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/rpod/rpod/cgroupdelegate"
)

// Stdio is the container's standard streams as the parent holds them.
type Stdio struct {
	In       *os.File // nil: /dev/null
	Out, Err *os.File
}

// Process is a started container's first process.
type Process struct {
	cmd    *exec.Cmd
	master *os.File
	sigs   chan os.Signal
	net    io.Closer  // the container's network, torn down when it exits
	thread threadLock // held for the child's Pdeathsig until it is reaped
	// netDone is closed once the network is torn down: Wait starts that
	// and returns, since gVisor's stack takes some 20 ms to destroy.
	netDone chan struct{}
}

// Hooks are what the caller adds to a container's start.
type Hooks struct {
	// Network attaches the network to the new namespaces of the container
	// whose first process is pid, before its command runs; the closer is
	// called once the container has exited.
	Network func(pid int) (io.Closer, error)
	// Cgroup is the container's cgroup, which its first process (or the
	// exec'd one) joins before its command runs; nil without one.
	Cgroup *cgroupdelegate.Group
}

// Pid is the host-side pid of the container's first process.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Namespaces every container gets of its own.
const cloneFlags = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

// Start runs the init step in new namespaces and returns once the command
// has been exec'd, or with the init step's error (an *ExitError carrying
// podman's code when the command could not be run).
func Start(spec *Spec, stdio Stdio, hooks Hooks) (*Process, error) {
	attr := startAttr(spec) // prestart.go
	if err := userNamespace(spec, attr); err != nil {
		return nil, err
	}
	return startChild(initArg, "container", nil, attr, spec, stdio, hooks)
}

// startChild starts a child step (the init step, or exec's) as the embedded
// init or as rpod itself, hands it spec over a socket on its fd 3, and
// returns once the step has exec'd the command, or with the error the step
// sent back.
func startChild(arg, what string, env []string, attr *syscall.SysProcAttr, spec *Spec, stdio Stdio, hooks Hooks) (*Process, error) {
	c, err := spawnChild(arg, what, env, attr, spec.Terminal, stdio)
	if err != nil {
		return nil, err
	}
	c.catchSignals(nil)
	return c.finish(spec, -1, hooks)
}

// spawned is a child step started and waiting for its spec on the socket.
type spawned struct {
	cmd    *exec.Cmd
	parent *os.File // the socket's end in rpod
	what   string
	thread threadLock
	stdio  Stdio // the streams it was given, which with a pty are rpod's terminal
	// sigs catches the signals rpod forwards once the command runs;
	// sigsReady is closed once it does (catchSignals).
	sigs      chan os.Signal
	sigsReady chan struct{}
}

// threadLock is the lock on the thread that forked a child with
// Pdeathsig, which the signal follows.
type threadLock struct {
	locked bool
	// release, when not nil, is closed to have the goroutine that holds
	// the lock (Prestart's) unlock its thread; else the holder is the
	// caller's goroutine.
	release chan struct{}
}

// unlock ends the lock, once.
func (l *threadLock) unlock() {
	if !l.locked {
		return
	}
	l.locked = false
	if l.release != nil {
		close(l.release)
	} else {
		goruntime.UnlockOSThread()
	}
}

// proxiedSignals are those terminals, kill(1) and service managers send:
// rpod run forwards them from the moment the command runs, rpod attach
// --sig-proxy while it is attached.
var proxiedSignals = []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// firstSignals are the signals rpod run catches from the moment the
// command runs: proxiedSignals, and a terminal's size changes.
// Process.Wait catches the others once the command has run for
// otherSignalsAfter.
//
// The runtime catches each signal, and lets go of it, in a round trip
// with its signal thread: some 70 us of CPU each on a 2-CPU VM, 8 ms for
// all 65, which every short run paid at its start and exit (bench/README.md,
// session 16).
var firstSignals = slices.Concat(proxiedSignals, []os.Signal{unix.SIGWINCH})

// otherSignalsAfter is how long a command runs before rpod catches the
// rest of the signals to forward them: until then, one of them gets the Go
// runtime's default (most are ignored), as every signal does before the
// command runs.
const otherSignalsAfter = 20 * time.Millisecond

// catchSignals starts catching firstSignals in the background once start
// is closed (nil: now), overlapping the child's start (and a prestarted
// one's wait for its spec).
func (c *spawned) catchSignals(start <-chan struct{}) {
	c.sigs = make(chan os.Signal, 32)
	c.sigsReady = make(chan struct{})
	go func() {
		if start != nil {
			<-start
		}
		signal.Notify(c.sigs, firstSignals...)
		close(c.sigsReady)
	}()
}

// spawnChild starts a child step, which waits for its spec; the memfd it
// ran from is closed once it has exec'd.
func spawnChild(arg, what string, env []string, attr *syscall.SysProcAttr, terminal bool, stdio Stdio) (*spawned, error) {
	if arg == execArg {
		return spawnExecStep(env, attr, terminal, stdio) // exec.go
	}
	exe, embedded, done, err := childExe(arg) // initexe.go
	if err != nil {
		return nil, err
	}
	c, err := spawnChildExe(exe, arg, what, env, attr, terminal, stdio)
	done()
	var se *startError
	if embedded && errors.As(err, &se) {
		// Not run at all (a kernel refusing exec from memory): rpod can.
		initBroken.Store(true)
		if exe, _, done, err = childExe(arg); err != nil {
			return nil, err
		}
		defer done()
		return spawnChildExe(exe, arg, what, env, attr, terminal, stdio)
	}
	return c, err
}

// startError is a child step that could not be started at all.
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// spawnChildExe starts exe as a child step: the sync socket is its fd 3,
// and extra files follow from fd 4.
func spawnChildExe(exe, arg, what string, env []string, attr *syscall.SysProcAttr, terminal bool, stdio Stdio, extra ...*os.File) (*spawned, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sync socket: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "sync-parent")
	child := os.NewFile(uintptr(fds[1]), "sync-child")

	cmd := exec.Command(exe, arg)
	cmd.Args[0] = "rpod-" + strings.TrimPrefix(arg, "__rpod_") // rpod-init, rpod-exec in ps
	cmd.Env = append([]string{}, env...)
	cmd.ExtraFiles = append([]*os.File{child}, extra...)
	cmd.Dir = "/"
	if !terminal {
		if stdio.In != nil {
			cmd.Stdin = stdio.In
		}
		cmd.Stdout, cmd.Stderr = stdio.Out, stdio.Err
	}
	cmd.SysProcAttr = attr
	locked := attr.Pdeathsig != 0
	if locked {
		// Pdeathsig follows the thread that forked, so keep to one.
		goruntime.LockOSThread()
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		parent.Close()
		if locked {
			goruntime.UnlockOSThread()
		}
		return nil, &startError{fmt.Errorf("start %s: %w", what, err)}
	}
	return &spawned{cmd: cmd, parent: parent, what: what, thread: threadLock{locked: locked}, stdio: stdio}, nil
}

// finish joins the waiting child to its cgroup and network, sends it spec
// (and tree, a mount for it, unless -1) and returns once it has exec'd the
// command, or with its error.
func (c *spawned) finish(spec *Spec, tree int, hooks Hooks) (*Process, error) {
	defer c.parent.Close()
	// Caught before the command runs: a signal sent as soon as it does
	// must reach it, not kill rpod. One caught since the child was
	// spawned is forwarded once the command runs.
	<-c.sigsReady
	p := &Process{cmd: c.cmd, sigs: c.sigs, thread: c.thread}
	if hooks.Cgroup != nil {
		// The child waits for its spec: it is in the leaf before its command runs.
		if err := joinCgroup(hooks.Cgroup, c.cmd.Process.Pid); err != nil {
			p.kill()
			return nil, err
		}
	}
	spec.AwaitNetwork = hooks.Network != nil
	if spec.Terminal {
		if ws := terminalSize(c.stdio); ws != nil {
			spec.ConsoleSize = &ConsoleSize{Rows: ws.Row, Cols: ws.Col}
		}
	}
	spec.ParentDeathSignal = int(c.cmd.SysProcAttr.Pdeathsig)
	ss, err := stepSpec(spec) // stepspec.go
	if err != nil {
		p.kill()
		return nil, err
	}
	msg := ss.Encode()
	// The network is attached while the child sets up the rest (some 3 ms
	// each); it waits for the go-ahead before it runs its command.
	type attached struct {
		net io.Closer
		err error
	}
	var network chan attached
	if hooks.Network != nil {
		network = make(chan attached, 1)
		go func(pid int) {
			n, err := hooks.Network(pid)
			network <- attached{n, err}
		}(c.cmd.Process.Pid)
	}
	// A child that fails before it reads the spec has already put its
	// reason on the socket: that says more than the failed write.
	encErr := sendSpec(c.parent, msg, tree) // specsock.go
	if network != nil {
		a := <-network
		if a.err != nil {
			p.kill()
			// A child that failed first took its netns with it: its own
			// reason, if it sent one, says more.
			var ee *ExitError
			if err := p.readSync(c.parent); errors.As(err, &ee) {
				return nil, err
			}
			return nil, a.err
		}
		p.net = a.net
		// A child that failed meanwhile says why on the socket (readSync).
		sendGoAhead(c.parent)
	}
	if err := p.readSync(c.parent); err != nil {
		p.kill()
		return nil, err
	}
	if encErr != nil {
		p.kill()
		return nil, fmt.Errorf("send spec to %s: %w", c.what, encErr)
	}
	return p, nil
}

// abort kills a child that will not be given its spec.
func (c *spawned) abort() {
	<-c.sigsReady
	signal.Stop(c.sigs)
	c.cmd.Process.Kill()
	c.cmd.Wait()
	c.parent.Close()
	c.thread.unlock()
}

func (p *Process) kill() {
	signal.Stop(p.sigs)
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.closeNet()
	if p.master != nil {
		p.master.Close()
	}
	p.thread.unlock()
}

func (p *Process) closeNet() {
	if p.net != nil {
		p.net.Close()
		p.net = nil
	}
}

// ExitError is a failure before the container's command ran, with the
// exit code podman gives for it.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

// ErrorCode is the exit code podman gives err: an *ExitError's own, else ExitRpodError.
func ErrorCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitRpodError
}

// readSync reads the init step's messages until exec closes the socket.
func (p *Process) readSync(sock *os.File) error {
	buf := make([]byte, 64<<10)
	for {
		n, fd, err := recvFD(sock, buf) // specsock.go
		if err != nil {
			return fmt.Errorf("read from container init: %w", err)
		}
		if n == 0 {
			return nil // exec closed the socket: the command runs
		}
		var m syncMsg
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			return fmt.Errorf("container init sent %q: %w", buf[:n], err)
		}
		if fd != nil && m.Type != "pty" {
			fd.Close()
		}
		switch m.Type {
		case "pty":
			if fd == nil {
				return errors.New("receive pty: the init step sent none")
			}
			p.master = fd
		case "error":
			p.cmd.Wait()
			return &ExitError{Code: m.Code, Msg: m.Msg}
		}
	}
}

// Wait attaches the terminal when there is one, forwards signals, waits for
// the command and returns its exit code (128+N when killed by signal N).
func (p *Process) Wait(stdio Stdio) (int, error) {
	defer p.thread.unlock()
	sigs := p.sigs
	others := make(chan struct{}) // closed once every signal is caught
	later := time.AfterFunc(otherSignalsAfter, func() {
		signal.Notify(sigs)
		close(others)
	})
	// Undone in the background, while the caller has an exit to report.
	// One caught meanwhile is dropped: its command has exited.
	defer func() {
		if later.Stop() {
			go signal.Stop(sigs)
			return
		}
		go func() {
			<-others
			signal.Stop(sigs)
		}()
	}()
	var copies sync.WaitGroup
	var restore func()
	if p.master != nil {
		restore = p.attach(stdio, &copies)
	}
	done := make(chan struct{})
	var werr error
	go func() {
		werr = p.cmd.Wait()
		close(done)
	}()
	for {
		select {
		case s := <-sigs:
			sig := s.(syscall.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG, unix.SIGPIPE:
				// SIGURG is the Go runtime's own preemption signal.
			case unix.SIGWINCH:
				p.resize(stdio)
			default:
				unix.Kill(p.cmd.Process.Pid, sig)
			}
		case <-done:
			// Torn down while the caller records the exit and cleans up;
			// a process about to exit need not wait for it (WaitNetClosed).
			p.netDone = make(chan struct{})
			go func() {
				p.closeNet()
				close(p.netDone)
			}()
			copies.Wait()
			if restore != nil {
				restore()
			}
			if p.master != nil {
				p.master.Close()
			}
			return exitCode(p.cmd.ProcessState, werr)
		}
	}
}

// WaitNetClosed waits until the network Wait began to tear down is gone:
// before a restart binds the same published ports again.
func (p *Process) WaitNetClosed() {
	if p.netDone != nil {
		<-p.netDone
	}
}

func exitCode(ps *os.ProcessState, err error) (int, error) {
	if ps == nil {
		return ExitRpodError, fmt.Errorf("wait for container: %w", err)
	}
	ws := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// attach copies between rpod's terminal and the container's pty, with the
// local terminal in raw mode so that keys reach the container unchanged.
func (p *Process) attach(stdio Stdio, wg *sync.WaitGroup) (restore func()) {
	restore = func() {}
	if stdio.In != nil && term.IsTerminal(int(stdio.In.Fd())) {
		if st, err := term.MakeRaw(int(stdio.In.Fd())); err == nil {
			restore = func() { term.Restore(int(stdio.In.Fd()), st) }
		}
	}
	p.resize(stdio)
	if stdio.In != nil {
		// Not waited for: a read on the terminal ends only with the next key.
		go io.Copy(p.master, stdio.In)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// EIO marks the last process closing the pty: the output is complete.
		io.Copy(stdio.Out, p.master)
	}()
	return restore
}

func (p *Process) resize(stdio Stdio) {
	if p.master == nil {
		return
	}
	if ws := terminalSize(stdio); ws != nil {
		unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// terminalSize is the size of rpod's terminal (its stdin's, else its
// stdout's); nil when neither is one.
func terminalSize(stdio Stdio) *unix.Winsize {
	for _, f := range []*os.File{stdio.In, stdio.Out} {
		if f == nil {
			continue
		}
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
			return ws
		}
	}
	return nil
}
