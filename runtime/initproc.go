package runtime

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// InitMountPoint is where --init's binary appears in the container (podman: /run/podman-init).
const InitMountPoint = "/run/rpod-init"

// InitSearchPath is where rpod looks for --init's binary when --init-path is not given.
var InitSearchPath = []string{"/usr/libexec/podman/catatonit", "/usr/bin/catatonit", "/usr/bin/tini-static", "/usr/bin/tini"}

// ErrNoInit is FindInit's error when no init binary is installed.
var ErrNoInit = errors.New("--init: no init binary found: install catatonit (apt install catatonit) or give --init-path")

// FindInit returns the first statically linked init of InitSearchPath.
func FindInit() (string, error) {
	var firstErr error
	for _, p := range InitSearchPath {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		abs, err := CheckInit(p)
		if err == nil {
			return abs, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", ErrNoInit
}

// CheckInit validates an init binary for --init and returns its absolute,
// symlink-free path: it must be an executable, statically linked ELF file,
// since the container's image may have no libc at all.
func CheckInit(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("--init-path %s: %w", p, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("--init-path %s: no such file: install catatonit (apt install catatonit) or give the path of a static init", p)
		}
		return "", fmt.Errorf("--init-path %s: %w", p, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("--init-path %s: %w", p, err)
	}
	if !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("--init-path %s: not an executable file", p)
	}
	if err := unix.Access(real, unix.X_OK); err != nil {
		return "", fmt.Errorf("--init-path %s: not executable by you: %v", p, err)
	}
	f, err := elf.Open(real)
	if err != nil {
		return "", fmt.Errorf("--init-path %s: not an ELF executable (%v): give a statically linked init such as catatonit or tini-static", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return "", fmt.Errorf("--init-path %s: dynamically linked: the container may have no libc to run it; give a statically linked init such as catatonit or tini-static", p)
		}
	}
	return real, nil
}
