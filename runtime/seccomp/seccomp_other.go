//go:build linux && !amd64

package seccomp

import (
	"errors"
	"runtime"

	"golang.org/x/sys/unix"
)

// errUnsupported is returned on architectures the default filter is not
// written for.
var errUnsupported = errors.New("seccomp: the default filter supports only x86_64, not " + runtime.GOARCH)

// Blocked lists the system calls the default filter refuses; there is no
// filter on this architecture.
var Blocked []string

// Restricted lists the system calls the default filter refuses for some
// arguments; there is no filter on this architecture.
var Restricted []string

// DefaultFilter reports that there is no default filter for this
// architecture.
func DefaultFilter() ([]unix.SockFilter, error) { return nil, errUnsupported }

// Install reports that there is no default filter for this architecture.
func Install() error { return errUnsupported }

// SetNoNewPrivs sets PR_SET_NO_NEW_PRIVS on the calling thread.
func SetNoNewPrivs() error {
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}
