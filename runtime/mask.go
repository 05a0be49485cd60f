package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// The paths podman masks and makes read-only in every container.
var (
	maskedPaths = []string{
		"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/interrupts",
		"/sys/firmware", "/sys/fs/selinux", "/sys/dev/block", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// MaskedPaths returns the paths a container with these --security-opt
// mask= and unmask= lists gets masked and read-only, in that order.
func MaskedPaths(mask, unmask []string) (masked, readonly []string) {
	keep := func(list []string) []string {
		var out []string
		for _, p := range list {
			if !unmasked(p, unmask) {
				out = append(out, p)
			}
		}
		return out
	}
	masked = keep(maskedPaths)
	for _, p := range mask {
		p = filepath.Clean(p)
		if !slices.Contains(masked, p) {
			masked = append(masked, p)
		}
	}
	return masked, keep(readonlyPaths)
}

// unmasked reports whether unmask (ALL, paths or shell patterns) names p.
func unmasked(p string, unmask []string) bool {
	for _, u := range unmask {
		if u == "ALL" || filepath.Clean(u) == p {
			return true
		}
		if ok, _ := filepath.Match(u, p); ok {
			return true
		}
	}
	return false
}

// maskPaths hides the masked paths (an empty read-only tmpfs over a
// directory, /dev/null over a file) and makes the read-only ones so, as
// podman does. Paths that do not exist are skipped.
func maskPaths(s *Spec) error {
	masked, readonly := MaskedPaths(s.MaskPaths, s.UnmaskPaths)
	for _, p := range masked {
		st, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("mask %s: %w", p, err)
		}
		if st.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0")
		} else {
			err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	for _, p := range readonly {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s: %w", p, err)
		}
		if err := remountRO(p); err != nil {
			return err
		}
	}
	return nil
}
