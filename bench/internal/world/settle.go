package world

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// SettleMax bounds the untimed wait after a run for what it left running.
const SettleMax = 3 * time.Second

// reap makes this process the subreaper of what is orphaned under it until
// the returned stop: processes a timed command leaves running when it
// returns (podman's conmon runs `podman container cleanup` after podman
// exits) become its children, and settle waits for them. Only for the
// timing loop: a long-lived process (a container's monitor or conmon)
// orphaned to it would stay a zombie once it exits, and look alive to the
// tool that waits for it to go.
func reap() (stop func()) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return func() {}
	}
	reaping = true
	return func() {
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
		reaping = false
	}
}

// reaping: RunOnce settles after each run (inside Measure, leftovers).
var reaping bool

// children lists this process's children: its own and orphans it reaped.
func children() map[int]bool {
	self := os.Getpid()
	out := map[int]bool{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid(pid) == self {
			out[pid] = true
		}
	}
	return out
}

// ppid reads the parent of pid from /proc/PID/stat, -1 if it is gone.
func ppid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return -1
	}
	p, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return p
}

// leftovers notes this process's children before a timed run; the
// function it returns settles after it, or does nothing outside Measure.
func leftovers() (settled func()) {
	if !reaping {
		return func() {}
	}
	before := children()
	return func() { settle(before) }
}

// settle waits, untimed, until every child that was not in before has
// exited (reaping it), or SettleMax has passed: the next timed run then
// starts on a machine the previous one no longer loads.
func settle(before map[int]bool) { reapNew(before, func(unix.Rusage) {}) }

// reapNew reaps every child not in before as it exits, passing exited its
// resource usage, until none is left or SettleMax has passed.
func reapNew(before map[int]bool, exited func(unix.Rusage)) {
	deadline := time.Now().Add(SettleMax)
	for {
		left := 0
		for pid := range children() {
			if before[pid] {
				continue
			}
			var ws unix.WaitStatus
			var ru unix.Rusage
			// WNOHANG: a child that has not exited is left alone.
			if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, &ru); err == nil && got == pid {
				exited(ru)
				continue
			}
			left++
		}
		if left == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// OrphansPeakRSS runs run with this process as the subreaper of what it
// leaves behind, waits (at most SettleMax) for those processes to exit, and
// returns the largest ru_maxrss among them, in KiB: rpod's teardown after a
// `run --rm` has reported its exit code is such a process.
func OrphansPeakRSS(run func() error) (int64, error) {
	stop := reap()
	defer stop()
	before := children()
	if err := run(); err != nil {
		return 0, err
	}
	var peak int64
	reapNew(before, func(ru unix.Rusage) { peak = max(peak, ru.Maxrss) })
	return peak, nil
}
