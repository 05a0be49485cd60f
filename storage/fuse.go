package storage

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// InstallFuse installs fuse-overlayfs on the distributions rpod names.
const InstallFuse = "sudo apt-get install fuse-overlayfs (Debian/Ubuntu) or sudo dnf install fuse-overlayfs (Fedora)"

// FuseFix is the command that opens /dev/fuse to users, as distributions ship it.
const FuseFix = "sudo chmod 0666 /dev/fuse"

// ProbeFuse opens and closes /dev/fuse, as fuse-overlayfs must; nil when this user can use it.
func ProbeFuse() error {
	fd, err := unix.Open("/dev/fuse", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("/dev/fuse: %w", err)
	}
	unix.Close(fd)
	return nil
}

// MountProgramFault says what keeps prog from mounting layers (to follow "with prog, ") and the fix, given ProbeFuse's error text; "" when nothing does.
func MountProgramFault(prog, devErr string) (fault, fix string) {
	if _, err := os.Stat(prog); err != nil {
		return "which is missing", InstallFuse
	}
	if devErr != "" {
		return "but " + devErr, FuseFix
	}
	return "", ""
}
