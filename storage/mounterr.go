package storage

import (
	"errors"
	"fmt"
	"os"

	cstorage "go.podman.io/storage"
	"golang.org/x/sys/unix"
)

// InstallFuse installs fuse-overlayfs on the distributions rpod names.
const InstallFuse = "sudo apt-get install fuse-overlayfs (Debian/Ubuntu) or sudo dnf install fuse-overlayfs (Fedora)"

// ExplainMount turns a failed mount of a container's rootfs into the
// sentence of `rpod system check` that names its cause and fix; the long
// mount_data text of containers/storage is dropped when the cause is known.
func ExplainMount(s cstorage.Store, err error) error {
	if prog := MountProgram(s); prog != "" {
		if _, serr := os.Stat(prog); serr != nil {
			return fmt.Errorf("the store mounts layers with %s, which is missing: fix: %s (rpod system check: store-driver)", prog, InstallFuse)
		}
		if derr := probeFuseDevice(); derr != nil {
			return fmt.Errorf("the store mounts layers with %s, but /dev/fuse: %w: fix: sudo chmod 0666 /dev/fuse (rpod system check: store-driver)", prog, derr)
		}
		return fmt.Errorf("%w (rpod system check: store-driver)", err)
	}
	if s.GraphDriverName() == "overlay" {
		var errno unix.Errno
		if errors.As(err, &errno) {
			return fmt.Errorf("the kernel refused the overlay mount of the rootfs in rpod's user namespace: %w: native overlay needs Linux 5.11 or later and a local ext4, xfs or btrfs store; otherwise install fuse-overlayfs (%s) and start a new store (rpod system check: overlay)", errno, InstallFuse)
		}
		return fmt.Errorf("%w (rpod system check: overlay)", err)
	}
	return err
}

// probeFuseDevice opens and closes /dev/fuse, as fuse-overlayfs must.
func probeFuseDevice() error {
	fd, err := unix.Open("/dev/fuse", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}
