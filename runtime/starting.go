package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/proc"
)

// removed reports whether the container's record is gone from the store.
func (c *Container) removed() bool {
	if c.index != nil {
		return !c.index.Exists(c.ID)
	}
	_, err := c.main.Container(c.ID)
	return err != nil
}

// waitStarting waits, up to d, for a monitor that is starting the
// container (an `rpod start` killed midway leaves one at work) to record
// the run, so that rpod rm -f sees the process it must end.
func (c *Container) waitStarting(d time.Duration) {
	if c.State().Status != "created" {
		return
	}
	path, err := c.MonitorPidFile()
	if err != nil {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return
	}
	start, err := proc.StartTime(pid)
	if err != nil {
		return
	}
	if cl, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); !strings.HasPrefix(string(cl), "rpod-monitor\x00") {
		return
	}
	waitFor(d, func() bool { return c.State().Status != "created" || !proc.Alive(pid, start) })
}

// ReapDead cleans up after a container whose owner (its monitor, or the
// rpod run that ran it in the foreground) was killed: while it ran, the
// record still says running and nobody unmounted its rootfs; before it
// recorded the run, or between two runs of a restart policy, only its
// mount owner record (mountowner.go) tells that it mounted the rootfs. It
// gives back the dead owner's mount and records the exit of a run, with
// code -1 (unknown), as of now.
func (c *Container) ReapDead() {
	dir, err := c.Directory()
	if err != nil {
		return
	}
	run, err := c.runDir()
	if err != nil {
		return
	}
	if !ownerGone(stateIn(dir, c.Name)) && !deadOwner(run) {
		return // the common case, seen without taking the lock
	}
	// One at a time: a second reaper must find the exit recorded, not unmount again.
	if f, err := os.OpenFile(filepath.Join(dir, "reap.lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600); err == nil {
		defer f.Close()
		unix.Flock(int(f.Fd()), unix.LOCK_EX)
	}
	s, err := stateIn(dir, c.Name)
	runGone := ownerGone(s, err)
	o, hasOwner := readOwner(run)
	mountGone := hasOwner && o.dead()
	if runGone && c.SetState(State{Status: "exited", ExitCode: -1, StartedAt: s.StartedAt, FinishedAt: time.Now(), RestartCount: s.RestartCount}) != nil {
		return
	}
	// A run recorded by an rpod without owner records held the mount too.
	if mountGone || runGone && !hasOwner {
		c.giveBackMount()
	}
	if mountGone {
		os.Remove(filepath.Join(run, ownerFile))
	}
}

// stateIn reads the state recorded in dir, the directory of the container called name.
func stateIn(dir, name string) (State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return State{}, fmt.Errorf("container %s is gone: %w", name, err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("container %s state: %w", name, err)
	}
	return s, nil
}

// ownerGone reports a record that says running while neither the
// container's process nor its monitor (which records the exit itself) lives.
func ownerGone(s State, err error) bool {
	return err == nil && s.Status == "running" && !proc.Alive(s.Pid, s.PidStart) &&
		(s.MonitorPid == 0 || !proc.Alive(s.MonitorPid, s.MonitorStart))
}
