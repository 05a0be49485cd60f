package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/proc"
)

// Monitor runs the container to its end from a detached monitor process:
// the container's output goes to its log and to attached clients, its
// state is recorded as it starts and ends, its restart policy is applied,
// and the rootfs is unmounted after. started is called once, with nil when
// the command runs or with why it could not (an *ExitError carrying
// podman's code). Monitor returns the last exit code.
func (c *Container) Monitor(started func(error), hooks Hooks) int {
	// Orphans of the container are reparented to the monitor, not to init.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	// A start by the user lets the policy act again.
	c.clearStoppedByUser()
	fail := func(code int, err error) int {
		// interrupted.go, creating.go: a cut-short rm or create stays as it is shown.
		if !errors.Is(err, ErrRemoving) && !errors.Is(err, ErrIncomplete) {
			c.SetState(State{Status: "exited", ExitCode: code, FinishedAt: time.Now()})
		}
		started(err)
		return code
	}
	rootfs, release, err := c.MountToRun() // mountowner.go
	if err != nil {
		return fail(ExitRpodError, err)
	}
	defer release()
	log, err := c.openLog() // journald.go
	if err != nil {
		return fail(ExitRpodError, err)
	}
	defer log.Close()
	srv, err := c.serveAttach()
	if err != nil {
		return fail(ExitRpodError, err)
	}
	defer srv.close(c)
	// One cgroup for every run of a restart policy, made before the first.
	cg, err := c.CreateCgroup()
	if err != nil {
		return fail(ExitRpodError, err)
	}
	defer RemoveCgroup(cg)
	hooks.Cgroup = cg
	spec := c.Spec
	spec.Rootfs = rootfs
	if spec.EtcDir, err = c.EtcDirectory(); err != nil {
		return fail(ExitRpodError, err)
	}
	// Held for the monitor's life, so that a SIGTERM between two runs
	// (endRestartWait) never finds the default action, which would kill it.
	wake := make(chan os.Signal, 1)
	signal.Notify(wake, unix.SIGTERM)
	defer signal.Stop(wake)
	for restarts := uint(0); ; restarts++ {
		startedAt := time.Now()
		ooms := OOMKills(cg)
		code, err := c.runOnce(&spec, log, srv, restarts, started, hooks)
		if err != nil && restarts == 0 {
			// The user saw why it could not start: no policy retries that.
			return fail(code, err)
		}
		// Decided before the exit is recorded: `rpod stop` returns once it is,
		// and a start that follows clears the user's stop. A SIGTERM to the
		// monitor itself while the command ran is its scope or unit being
		// stopped (a shutdown stops the user's scopes): the container had it
		// too and must stay stopped, whatever its policy.
		termed := drain(wake)
		again := !termed && (c.takeHealthRestart() || c.RestartPolicy.Restarts(code, restarts, c.stoppedByUser()))
		st := State{Status: "exited", ExitCode: code, StartedAt: startedAt, FinishedAt: time.Now(), RestartCount: restarts,
			OOMKilled: OOMKills(cg) > ooms}
		if again {
			// So that `rpod stop` can end the wait (endRestartWait).
			st.MonitorPid = os.Getpid()
			st.MonitorStart, _ = proc.StartTime(st.MonitorPid)
		}
		c.SetState(st)
		srv.exited(code)
		if !again {
			return code
		}
		// A command that ran a while is not crash-looping: start the backoff over.
		delay := restartDelay(restarts)
		if time.Since(startedAt) > 10*time.Second {
			delay = restartDelay(0)
		}
		backoff(delay, wake)
		if c.stoppedByUser() {
			return code
		}
	}
}

// runOnce starts the command, records it running and waits for its end.
func (c *Container) runOnce(spec *Spec, log *LogWriter, srv *attachServer, restarts uint, started func(error), hooks Hooks) (int, error) {
	var stdio Stdio
	var closers []*os.File // the container's ends, closed once it holds them
	var stdinW *os.File
	var copies sync.WaitGroup
	copyOut := func(stream string, kind byte, r *os.File) {
		copies.Add(1)
		go func() {
			defer copies.Done()
			defer r.Close()
			log.Copy(stream, io.TeeReader(r, srv.stream(kind)))
		}()
	}
	if !spec.Terminal {
		// With a terminal the pty carries all three streams.
		outR, outW, err := os.Pipe()
		if err != nil {
			return ExitRpodError, fmt.Errorf("output pipe: %w", err)
		}
		errR, errW, err := os.Pipe()
		if err != nil {
			outR.Close()
			outW.Close()
			return ExitRpodError, fmt.Errorf("output pipe: %w", err)
		}
		stdio.Out, stdio.Err = outW, errW
		closers = append(closers, outW, errW)
		copyOut("stdout", frameStdout, outR)
		copyOut("stderr", frameStderr, errR)
		// With -i the container's stdin stays open for rpod attach.
		if c.Stdin {
			r, w, err := os.Pipe()
			if err != nil {
				return ExitRpodError, fmt.Errorf("stdin pipe: %w", err)
			}
			stdio.In, stdinW = r, w
			closers = append(closers, r)
			defer w.Close()
		}
	}
	p, err := Start(spec, stdio, hooks)
	// The container holds its own copies: the log ends when it exits.
	for _, f := range closers {
		f.Close()
	}
	if err != nil {
		copies.Wait()
		return ErrorCode(err), err
	}
	if master := p.master; master != nil {
		// The monitor serves the terminal itself: Wait must not copy it.
		p.master = nil
		if c.Stdin {
			stdinW = master
		}
		srv.setInput(stdinW, master)
		// EIO marks the last process closing the pty: the output is complete.
		copyOut("stdout", frameStdout, master)
	} else {
		srv.setInput(stdinW, nil)
	}
	defer srv.setInput(nil, nil)
	pidStart, _ := proc.StartTime(p.Pid())
	if c.SetState(State{Status: "running", Pid: p.Pid(), PidStart: pidStart, MonitorPid: os.Getpid(), StartedAt: time.Now(), RestartCount: restarts,
		CgroupPath: Leaf(hooks.Cgroup)}) != nil && c.removed() {
		// rpod rm removed it while it started: it must not run on unseen.
		unix.Kill(p.Pid(), unix.SIGKILL)
	}
	started(nil)
	// A stop that raced with this restart still wins.
	if restarts > 0 && c.stoppedByUser() {
		unix.Kill(p.Pid(), unix.SIGKILL)
	}
	stopHealth := c.StartHealth() // health_monitor.go
	code, _ := p.Wait(stdio)
	p.WaitNetClosed() // a restart publishes the same ports again
	stopHealth()
	copies.Wait()
	return code, nil
}
