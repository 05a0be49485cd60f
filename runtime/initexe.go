//go:build !rpodinit

package runtime

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/runtime/initbin"
)

// mfdExec asks for an executable memfd where the kernel (6.3+) wants it said.
const mfdExec = 0x10

var embeddedInit struct {
	once sync.Once
	path string // /proc/self/fd/N of a sealed memfd holding the init step
	bad  bool   // exec of it failed once (vm.memfd_noexec): use rpod itself
	mu   sync.Mutex
}

// childExe is the program a child step runs as: the embedded init step
// when this build carries one and the kernel lets it run from memory,
// otherwise rpod itself.
func childExe(arg string) (exe string, embedded bool, err error) {
	if arg == initArg {
		if p := embeddedInitPath(); p != "" {
			return p, true, nil
		}
	}
	exe, err = os.Executable()
	if err != nil {
		return "", false, fmt.Errorf("find rpod executable: %w", err)
	}
	return exe, false, nil
}

func embeddedInitPath() string {
	e := &embeddedInit
	e.once.Do(func() {
		b := initbin.Binary()
		if b == nil {
			return
		}
		fd, err := writeSealed("rpod-init", b)
		if err != nil {
			return
		}
		e.path = fmt.Sprintf("/proc/self/fd/%d", fd)
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.bad {
		return ""
	}
	return e.path
}

// embeddedInitFailed stops using the embedded init after its exec failed.
func embeddedInitFailed() {
	embeddedInit.mu.Lock()
	embeddedInit.bad = true
	embeddedInit.mu.Unlock()
}

// writeSealed puts b in a memfd that nothing can change any more.
func writeSealed(name string, b []byte) (int, error) {
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate(name, flags|mfdExec)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate(name, flags)
	}
	if err != nil {
		return -1, err
	}
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			unix.Close(fd)
			return -1, err
		}
		b = b[n:]
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// InitStep says what runs each container's init step: the embedded init
// (path "embedded") or rpod itself, re-executed (its path).
func InitStep() (path string, embedded bool) {
	if embeddedInitPath() != "" {
		return "embedded", true
	}
	exe, _ := os.Executable()
	return exe, false
}
