package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// A foreground `run --rm` tells its caller the exit code before it
// unmounts and removes the container (userns.ReportExit). It holds this
// lock, shared, from before that report until it exits; every command takes
// it exclusively once before it opens the store, so that none finds a
// container half removed, or a name not yet given back.
const teardownLock = "teardown.lock"

// TeardownWait bounds how long a command waits for teardowns in flight.
const TeardownWait = 10 * time.Second

// TeardownLock is the lock's path in the store whose run root is runRoot.
func TeardownLock(runRoot string) string { return filepath.Join(runRoot, teardownLock) }

// HoldTeardown marks a teardown in progress in the store whose run root is
// runRoot, until this process exits.
func HoldTeardown(runRoot string) error {
	fd, err := unix.Open(TeardownLock(runRoot), unix.O_RDONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("teardown lock: %w", err)
	}
	if err := unix.Flock(fd, unix.LOCK_SH); err != nil {
		unix.Close(fd)
		return fmt.Errorf("teardown lock: %w", err)
	}
	return nil // the descriptor is the lock: kept until exit
}

// WaitTeardowns waits until no teardown is in progress in the store whose
// run root is runRoot, or max has passed; it reports whether it gave up.
func WaitTeardowns(runRoot string, max time.Duration) (gaveUp bool) {
	fd, err := unix.Open(TeardownLock(runRoot), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false // no run has ever reported early here
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(max)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return false // closing the descriptor unlocks it
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		time.Sleep(time.Millisecond)
	}
}
