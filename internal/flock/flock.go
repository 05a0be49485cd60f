// Package flock takes rpod's own locks between processes: flock(2) on a
// file that is created if need be, released when the returned func runs
// or the process ends.
package flock

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Exclusive waits for the lock on the file at path and holds it until unlock.
func Exclusive(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		// A signal (Go's preemption) may interrupt the wait.
		if err = unix.Flock(int(f.Fd()), unix.LOCK_EX); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
