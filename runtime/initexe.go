package runtime

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/runtime/initbin"
)

// initBroken is set once exec of the appended init failed (a kernel
// refusing exec from memory, vm.memfd_noexec): rpod itself runs it then.
var initBroken atomic.Bool

// childExe is the program a child step runs as: the init step appended to
// rpod by make build, copied into a sealed memfd, when there is one and
// the kernel lets it run from memory; otherwise rpod itself. done closes
// the memfd once the child has exec'd it: nothing stays in memory for the
// life of a monitor.
func childExe(arg string) (exe string, embedded bool, done func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", false, nil, fmt.Errorf("find rpod executable: %w", err)
	}
	if arg == initArg && !initBroken.Load() {
		if fd, err := appendedInit(self); err == nil {
			return fmt.Sprintf("/proc/self/fd/%d", fd), true, func() { unix.Close(fd) }, nil
		}
	}
	return self, false, func() {}, nil
}

// appendedInit copies the init step at the end of exe into a sealed
// memfd, in the kernel (sendfile): rpod never maps or reads it itself.
func appendedInit(exe string) (int, error) {
	f, off, n, ok := initbin.Find(exe)
	if !ok {
		return -1, errors.New("no init step appended to rpod")
	}
	defer f.Close()
	return initbin.Memfd("rpod-init", f, initbin.Part{Off: off, N: n})
}

// InitStep says what runs each container's init step: the init appended by
// make build (path "embedded") or rpod itself, re-executed (its path).
// It only looks for the init: nothing is copied.
func InitStep() (path string, embedded bool) {
	self, err := os.Executable()
	if err != nil {
		return "", false
	}
	if f, _, _, ok := initbin.Find(self); ok && !initBroken.Load() {
		f.Close()
		return "embedded", true
	}
	return self, false
}
