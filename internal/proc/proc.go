// Package proc reads what rpod needs to know about a process from /proc.
package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// StartTime returns a process's start time in clock ticks since boot
// (field 22 of /proc/PID/stat), which with the pid identifies it across pid
// reuse. A zombie counts as gone: its pid lingers until its parent reaps it,
// which an init that does not reap orphans never does.
func StartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	// f[0] is field 3, the state; the start time is field 22.
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, fmt.Errorf("process %d has exited", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// Alive reports whether pid is still the process that started at start
// (any live process with that pid when start is 0).
func Alive(pid int, start uint64) bool {
	st, err := StartTime(pid)
	return err == nil && (start == 0 || st == start)
}
