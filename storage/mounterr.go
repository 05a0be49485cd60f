package storage

import (
	"errors"
	"fmt"
	"strings"

	cstorage "go.podman.io/storage"
	"golang.org/x/sys/unix"
)

// overlayMountFailed starts the overlay driver's error for a failed mount
// call (native or through the mount program); the driver wraps it with
// fmt.Errorf only, so its words are all that tell it from the failures of the
// directories and links it prepares before, whose errnos the kernel advice
// would misexplain.
const overlayMountFailed = "creating overlay mount to "

// ExplainMount turns a failed mount of a container's rootfs into the
// sentence of `rpod system check` that names its cause and fix; the long
// mount_data text of containers/storage is dropped when the cause is known.
func ExplainMount(s cstorage.Store, err error) error {
	return explainMount(s.GraphDriverName(), MountProgram(s), err)
}

func explainMount(driver, prog string, err error) error {
	if !strings.Contains(err.Error(), overlayMountFailed) {
		return err // the driver failed before it mounted: its own words say why
	}
	if prog != "" {
		devErr := ""
		if derr := ProbeFuse(); derr != nil {
			devErr = derr.Error()
		}
		if fault, fix := MountProgramFault(prog, devErr); fault != "" {
			return fmt.Errorf("the store mounts layers with %s, %s: fix: %s (rpod system check: store-driver)", prog, fault, fix)
		}
		return fmt.Errorf("%w (rpod system check: store-driver)", err)
	}
	if driver != "overlay" {
		return err
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return fmt.Errorf("the kernel refused the overlay mount of the rootfs in rpod's user namespace: %w: native overlay needs Linux 5.11 or later and a local ext4, xfs or btrfs store; otherwise install fuse-overlayfs (%s) and start a new store (rpod system check: overlay)", errno, InstallFuse)
	}
	return fmt.Errorf("%w (rpod system check: overlay)", err)
}
