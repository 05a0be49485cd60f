package runtime

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	cstorage "go.podman.io/storage"
	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/proc"
)

// Kill sends sig to the container's first process.
func (c *Container) Kill(sig syscall.Signal) error {
	s := c.State()
	if s.Status != "running" {
		return fmt.Errorf("can only kill running containers: %s is %s", c.Name, s.Status)
	}
	// As podman: a container the user signalled is not restarted by its policy.
	c.markStoppedByUser()
	if err := unix.Kill(s.Pid, sig); err != nil {
		return fmt.Errorf("kill %s: %w", c.Name, err)
	}
	return nil
}

// Stop sends the container's stop signal, then SIGKILL once timeout has
// passed, and returns when its exit has been recorded. The restart
// policy does not undo it.
func (c *Container) Stop(timeout time.Duration) error {
	// Also between two runs of a restart policy: the monitor looks before restarting.
	s := c.State()
	if s.Paused && s.Status == "running" {
		// As podman: a frozen container cannot take its stop signal.
		return fmt.Errorf("can only stop created or running containers. %s is in state paused: container state improper: unpause it first (rpod unpause %s), or rpod kill it", c.Name, c.Name)
	}
	c.markStoppedByUser()
	if s.Status != "running" {
		c.ReapDead() // starting.go
		c.endRestartWait(timeout + 10*time.Second)
		return nil
	}
	sig := syscall.SIGTERM
	if c.StopSignal != "" {
		if v, err := ParseSignal(c.StopSignal); err == nil {
			sig = v
		}
	}
	unix.Kill(s.Pid, sig)
	if !waitFor(timeout, func() bool { return !proc.Alive(s.Pid, s.PidStart) }) {
		unix.Kill(s.Pid, syscall.SIGKILL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	if _, err := c.Wait(ctx); err != nil {
		if errors.Is(err, cstorage.ErrContainerUnknown) {
			return nil // stopped, and removed by its --rm meanwhile
		}
		return fmt.Errorf("stop %s: %w", c.Name, err)
	}
	return nil
}

// Wait returns the container's exit code once it is not running and its
// monitor has recorded how it ended (-1 when the monitor died first).
func (c *Container) Wait(ctx context.Context) (int, error) {
	for {
		s, err := c.recorded()
		if err != nil {
			return 0, err
		}
		if s.Status != "running" {
			return s.ExitCode, nil
		}
		if !proc.Alive(s.Pid, s.PidStart) && (s.MonitorPid == 0 || !proc.Alive(s.MonitorPid, 0)) {
			return -1, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// recorded is the state as last written, without State's liveness check.
func (c *Container) recorded() (State, error) {
	dir, err := c.Directory()
	if err != nil {
		return State{}, err
	}
	return stateIn(dir, c.Name)
}

func waitFor(d time.Duration, done func() bool) bool {
	deadline := time.Now().Add(d)
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
