package runtime

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/proc"
)

// Monitor runs the container to its end from a detached monitor process:
// the container's output goes to its log, its state is recorded as it
// starts and ends, and the rootfs is unmounted after. started is called
// once, with nil when the command runs or with why it could not (an
// *ExitError carrying podman's code). Monitor returns the exit code.
func (c *Container) Monitor(started func(error)) int {
	// Orphans of the container are reparented to the monitor, not to init.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	fail := func(code int, err error) int {
		c.SetState(State{Status: "exited", ExitCode: code, FinishedAt: time.Now()})
		started(err)
		return code
	}
	rootfs, err := c.Mount()
	if err != nil {
		return fail(ExitRpodError, err)
	}
	defer c.Unmount()
	path, err := c.LogPath()
	if err != nil {
		return fail(ExitRpodError, err)
	}
	log, err := OpenLog(path, c.LogMaxSize)
	if err != nil {
		return fail(ExitRpodError, err)
	}
	defer log.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return fail(ExitRpodError, fmt.Errorf("output pipe: %w", err))
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return fail(ExitRpodError, fmt.Errorf("output pipe: %w", err))
	}
	var copies sync.WaitGroup
	copies.Add(2)
	go func() { defer copies.Done(); log.Copy("stdout", outR) }()
	go func() { defer copies.Done(); log.Copy("stderr", errR) }()

	spec := c.Spec
	spec.Rootfs = rootfs
	// With a terminal the pty's output is copied into outW by Wait.
	stdio := Stdio{Out: outW, Err: errW}
	startedAt := time.Now()
	p, err := Start(&spec, stdio)
	if !spec.Terminal {
		// The container holds its own copies: the log ends when it exits.
		outW.Close()
		errW.Close()
	}
	if err != nil {
		code := ExitRpodError
		var ee *ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		}
		if spec.Terminal {
			outW.Close()
			errW.Close()
		}
		copies.Wait()
		return fail(code, err)
	}
	pidStart, _ := proc.StartTime(p.Pid())
	c.SetState(State{Status: "running", Pid: p.Pid(), PidStart: pidStart, MonitorPid: os.Getpid(), StartedAt: startedAt})
	started(nil)
	code, _ := p.Wait(stdio)
	if spec.Terminal {
		outW.Close()
		errW.Close()
	}
	copies.Wait()
	c.SetState(State{Status: "exited", ExitCode: code, StartedAt: startedAt, FinishedAt: time.Now()})
	return code
}
