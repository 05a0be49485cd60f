package netslirp

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// TunPath is the device every network mode but none and host opens for the
// container's TAP interface: the embedded stack, slirp4netns and pasta alike.
const TunPath = "/dev/net/tun"

// ProbeTun opens and closes /dev/net/tun; nil when this user can use it.
func ProbeTun() error {
	fd, err := unix.Open(TunPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

// TunFix is the command that makes /dev/net/tun usable after opening it failed with err.
func TunFix(err error) string {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
		return "sudo modprobe tun && echo tun | sudo tee /etc/modules-load.d/tun.conf"
	}
	return "sudo chmod 0666 /dev/net/tun (distributions ship it so)"
}

// tunError is the error for a network that could not open /dev/net/tun:
// what failed, the fix, and the way to run without it.
func tunError(err error) error {
	return fmt.Errorf("%s: %w: fix: %s, or run with --network none (rpod system check: tun)", TunPath, err, TunFix(err))
}

// helperTunError explains a helper (slirp4netns, pasta) that failed to start
// when the cause is /dev/net/tun, which the helpers report only vaguely.
func helperTunError(mode string, helperErr error) error {
	if err := ProbeTun(); err != nil {
		return fmt.Errorf("network %s: %w", mode, tunError(err))
	}
	return helperErr
}
