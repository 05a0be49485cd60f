package userns

/*
#include "join.h"
*/
import "C"

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// reported is set once the exit code went to the reporter: its exit after
// that is expected, not a SIGKILL meant for us.
var reported atomic.Bool

func init() {
	if fd := int(C.rpod_watch_fd); fd >= 0 {
		go watchReporter(os.NewFile(uintptr(fd), "reporter watch"))
	}
}

// watchReporter ends this process when the reporter dies before it has
// been told the exit code: a SIGKILL meant for rpod reaches the reporter,
// and the container must die with rpod as it does without one.
func watchReporter(f *os.File) {
	var b [1]byte
	f.Read(b[:]) // only EOF or an error: the reporter never writes
	if !reported.Load() {
		unix.Kill(os.Getpid(), unix.SIGKILL)
	}
}

// CanReport reports whether this run's caller waits on a reporter, so that
// ReportExit can hand it the exit code before the teardown.
func CanReport() bool { return C.rpod_report_fd >= 0 && !reported.Load() }

// ReportExit tells rpod's caller the command's exit code now, through the
// reporter (report.c), and lets go of the caller's pipes: a shell's $(...)
// reads until every writer is gone. Standard error stays when it is a
// terminal or a file, where a teardown error can still be read. It returns
// false, doing nothing, when there is no reporter.
func ReportExit(code int) bool {
	if !CanReport() {
		return false
	}
	release(0, false)
	release(1, false)
	release(2, true)
	// Out of the caller's session: a terminal that hangs up once the
	// caller is gone (ssh, script, a closed window) would SIGHUP the
	// teardown and leave the container behind.
	unix.Setsid()
	reported.Store(true)
	fd := int(C.rpod_report_fd)
	b := []byte{byte(code)}
	for {
		_, err := unix.Write(fd, b)
		if err != unix.EINTR {
			break
		}
	}
	unix.Close(fd)
	return true
}

// release points fd at /dev/null unless keep and it is a terminal or a
// regular file.
func release(fd int, keep bool) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return // not open
	}
	if keep {
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			return
		}
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			return
		}
	}
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	unix.Dup3(null, fd, 0)
	unix.Close(null)
}
