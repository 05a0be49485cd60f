//go:build linux

// Package caps parses capability names and applies a capability set to the
// calling OS thread right before the container's init step execs the user's
// command.
//
// Capabilities are a per-thread attribute on Linux. Every function in this
// package that changes state uses raw per-thread system calls (prctl, capset)
// rather than the Go runtime's all-threads wrappers, so the caller must run
// on a goroutine locked to its OS thread (runtime.LockOSThread) and exec from
// that same thread: exec turns the thread's state into the new process's state.
package caps

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Default is podman's default capability set for containers.
var Default = []string{
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_NET_BIND_SERVICE",
	"CAP_SETFCAP",
	"CAP_SETGID",
	"CAP_SETPCAP",
	"CAP_SETUID",
	"CAP_SYS_CHROOT",
}

// names maps capability numbers to their canonical names.
var names = map[int]string{
	unix.CAP_CHOWN:              "CAP_CHOWN",
	unix.CAP_DAC_OVERRIDE:       "CAP_DAC_OVERRIDE",
	unix.CAP_DAC_READ_SEARCH:    "CAP_DAC_READ_SEARCH",
	unix.CAP_FOWNER:             "CAP_FOWNER",
	unix.CAP_FSETID:             "CAP_FSETID",
	unix.CAP_KILL:               "CAP_KILL",
	unix.CAP_SETGID:             "CAP_SETGID",
	unix.CAP_SETUID:             "CAP_SETUID",
	unix.CAP_SETPCAP:            "CAP_SETPCAP",
	unix.CAP_LINUX_IMMUTABLE:    "CAP_LINUX_IMMUTABLE",
	unix.CAP_NET_BIND_SERVICE:   "CAP_NET_BIND_SERVICE",
	unix.CAP_NET_BROADCAST:      "CAP_NET_BROADCAST",
	unix.CAP_NET_ADMIN:          "CAP_NET_ADMIN",
	unix.CAP_NET_RAW:            "CAP_NET_RAW",
	unix.CAP_IPC_LOCK:           "CAP_IPC_LOCK",
	unix.CAP_IPC_OWNER:          "CAP_IPC_OWNER",
	unix.CAP_SYS_MODULE:         "CAP_SYS_MODULE",
	unix.CAP_SYS_RAWIO:          "CAP_SYS_RAWIO",
	unix.CAP_SYS_CHROOT:         "CAP_SYS_CHROOT",
	unix.CAP_SYS_PTRACE:         "CAP_SYS_PTRACE",
	unix.CAP_SYS_PACCT:          "CAP_SYS_PACCT",
	unix.CAP_SYS_ADMIN:          "CAP_SYS_ADMIN",
	unix.CAP_SYS_BOOT:           "CAP_SYS_BOOT",
	unix.CAP_SYS_NICE:           "CAP_SYS_NICE",
	unix.CAP_SYS_RESOURCE:       "CAP_SYS_RESOURCE",
	unix.CAP_SYS_TIME:           "CAP_SYS_TIME",
	unix.CAP_SYS_TTY_CONFIG:     "CAP_SYS_TTY_CONFIG",
	unix.CAP_MKNOD:              "CAP_MKNOD",
	unix.CAP_LEASE:              "CAP_LEASE",
	unix.CAP_AUDIT_WRITE:        "CAP_AUDIT_WRITE",
	unix.CAP_AUDIT_CONTROL:      "CAP_AUDIT_CONTROL",
	unix.CAP_SETFCAP:            "CAP_SETFCAP",
	unix.CAP_MAC_OVERRIDE:       "CAP_MAC_OVERRIDE",
	unix.CAP_MAC_ADMIN:          "CAP_MAC_ADMIN",
	unix.CAP_SYSLOG:             "CAP_SYSLOG",
	unix.CAP_WAKE_ALARM:         "CAP_WAKE_ALARM",
	unix.CAP_BLOCK_SUSPEND:      "CAP_BLOCK_SUSPEND",
	unix.CAP_AUDIT_READ:         "CAP_AUDIT_READ",
	unix.CAP_PERFMON:            "CAP_PERFMON",
	unix.CAP_BPF:                "CAP_BPF",
	unix.CAP_CHECKPOINT_RESTORE: "CAP_CHECKPOINT_RESTORE",
}

// byName is the reverse of names.
var byName = func() map[string]int {
	m := make(map[string]int, len(names))
	for n, s := range names {
		m[s] = n
	}
	return m
}()

// maxCap is the highest capability number a v3 capset can carry (two 32-bit
// words).
const maxCap = 63

// Parse maps a capability name to capability numbers. Names are
// case-insensitive and the "CAP_" prefix is optional ("CAP_NET_ADMIN",
// "net_admin"). "ALL" yields every capability the running kernel knows
// (0..Last()). An unknown name is an error.
func Parse(name string) ([]int, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == "ALL" || n == "CAP_ALL" {
		last := Last()
		all := make([]int, 0, last+1)
		for c := 0; c <= last; c++ {
			all = append(all, c)
		}
		return all, nil
	}
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	if c, ok := byName[n]; ok {
		return []int{c}, nil
	}
	return nil, fmt.Errorf("unknown capability %q", name)
}

var lastOnce = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n >= 0 && n <= maxCap {
			return n
		}
	}
	return unix.CAP_LAST_CAP
})

// Last returns the highest capability the running kernel knows, read from
// /proc/sys/kernel/cap_last_cap (once; later calls return the cached value).
// If that file cannot be read, it returns the highest capability this package
// was built with.
func Last() int { return lastOnce() }

// Names lists the names of the capabilities in set, ordered by capability
// number, without duplicates. A number this package has no name for is
// rendered as "CAP_<n>".
func Names(set []int) []string {
	s := append([]int(nil), set...)
	sort.Ints(s)
	out := make([]string, 0, len(s))
	for i, c := range s {
		if i > 0 && s[i-1] == c {
			continue
		}
		if n, ok := names[c]; ok {
			out = append(out, n)
		} else {
			out = append(out, "CAP_"+strconv.Itoa(c))
		}
	}
	return out
}

// Apply sets the calling thread's capabilities for the coming exec:
//
//   - every capability up to Last() that is not in keep is dropped from the
//     bounding set (PR_CAPBSET_DROP; needs CAP_SETPCAP, so it is done first),
//   - the ambient set is cleared (PR_CAP_AMBIENT_CLEAR_ALL),
//   - effective, permitted and inheritable are set to exactly keep (capset,
//     _LINUX_CAPABILITY_VERSION_3).
//
// keep must be a subset of the thread's current permitted set (as for the
// container init, which is root of its user namespace). Numbers above Last()
// are capabilities the running kernel does not know; they are ignored. A
// number outside 0..63 is an error.
//
// When the user command runs as root (uid 0) in the container, exec keeps
// exactly keep as permitted and effective set. When it runs as a non-root
// user, the caller calls Apply before setresuid: the kernel then clears the
// permitted and effective sets on the change from uid 0 to a non-zero uid
// (SECBIT_KEEP_CAPS is not set, and there are no ambient capabilities), so the
// user's command starts with no capabilities, as podman gives non-root users
// none by default; the bounding and inheritable sets still limit what file
// capabilities or setuid binaries could later gain.
//
// Apply acts on the calling thread only: lock the goroutine to its thread and
// exec from it.
func Apply(keep []int) error {
	last := Last()
	var mask uint64
	for _, c := range keep {
		if c < 0 || c > maxCap {
			return fmt.Errorf("invalid capability number %d", c)
		}
		if c <= last {
			mask |= 1 << uint(c)
		}
	}
	for c := 0; c <= last; c++ {
		if mask&(1<<uint(c)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			if err == unix.EINVAL {
				// The kernel does not know this capability after all.
				continue
			}
			return fmt.Errorf("dropping %s from the bounding set: %w", capName(c), err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		// EINVAL: kernel without ambient capabilities (< 4.3), nothing to clear.
		return fmt.Errorf("clearing the ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		w := uint32(mask >> (32 * uint(i)))
		data[i] = unix.CapUserData{Effective: w, Permitted: w, Inheritable: w}
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("setting capabilities %v: %w", Names(keep), err)
	}
	return nil
}

func capName(c int) string {
	if n, ok := names[c]; ok {
		return n
	}
	return "CAP_" + strconv.Itoa(c)
}
