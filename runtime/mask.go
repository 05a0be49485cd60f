package runtime

import (
	"path/filepath"
	"slices"
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
