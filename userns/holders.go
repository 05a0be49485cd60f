package userns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/rpod/rpod/internal/atomicfile"
	"github.com/rpod/rpod/internal/proc"
)

// A monitor holds the rootless namespace as long as its container runs.
// When the pause process is killed, the next rpod starts a new pause
// process inside a monitor's namespace instead of a new one, so that the
// running containers stay visible and usable (exec, stop), as podman
// rejoins a conmon's. Each monitor leaves its pid and start time in
// holders/ of the runtime directory.

const holdersDir = "holders"

// registerHolder records this monitor as a holder of the namespace and
// drops the records of holders that are gone.
func registerHolder() {
	dir, err := RuntimeDir()
	if err != nil {
		return
	}
	hd := filepath.Join(dir, holdersDir)
	if err := os.MkdirAll(hd, 0o700); err != nil {
		return
	}
	liveHolders(hd) // drops the records of holders that are gone
	pid := os.Getpid()
	st, err := proc.StartTime(pid)
	if err != nil {
		return
	}
	p := filepath.Join(hd, strconv.Itoa(pid))
	atomicfile.WriteFile(p, []byte(strconv.FormatUint(st, 10)), 0o600)
}

// liveHolders returns the pids of the recorded holders that still run,
// removing the records of the others.
func liveHolders(hd string) []int {
	ents, err := os.ReadDir(hd)
	if err != nil {
		return nil
	}
	var live []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // a .tmp being written
		}
		b, err := os.ReadFile(filepath.Join(hd, e.Name()))
		start, perr := strconv.ParseUint(string(b), 10, 64)
		if err != nil || perr != nil || !proc.Alive(pid, start) {
			os.Remove(filepath.Join(hd, e.Name()))
			continue
		}
		live = append(live, pid)
	}
	return live
}

// adoptPause starts a pause process in the namespaces of a live holder and
// records it; false when there is no holder or none could be joined.
func adoptPause(dir string) bool {
	for _, pid := range liveHolders(filepath.Join(dir, holdersDir)) {
		if err := pauseIn(dir, pid); err == nil {
			return true
		}
	}
	return false
}

// pauseIn starts a pause process that joins holder's user and mount
// namespaces (join.c does it before pausing) and records it in pause.pid.
func pauseIn(dir string, holder int) error {
	want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", holder))
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer w.Close()
	cmd := exec.Command(exe)
	cmd.Args = []string{"rpod-pause"}
	cmd.Env = append(os.Environ(), "_RPOD_PAUSE=1", "_RPOD_PAUSE_JOIN="+strconv.Itoa(holder))
	cmd.ExtraFiles = []*os.File{r}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		return err
	}
	r.Close()
	pid := cmd.Process.Pid
	fail := func(err error) error {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	if _, err := w.Write([]byte{1}); err != nil {
		return fail(err)
	}
	// It exits when it cannot join: wait until it is in the holder's namespace.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid)); err == nil && got == want {
			break
		}
		if !proc.Alive(pid, 0) || time.Now().After(deadline) {
			return fail(errors.New("pause process could not join the holder's namespace"))
		}
		time.Sleep(2 * time.Millisecond)
	}
	st, err := proc.StartTime(pid)
	if err != nil {
		return fail(err)
	}
	if err := atomicfile.WriteFile(pidFile(dir), []byte(fmt.Sprintf("%d %d\n", pid, st)), 0o600); err != nil {
		return fail(err)
	}
	cmd.Process.Release()
	return nil
}

// forgetHolders makes the next pause process a new namespace whatever
// still runs in the old one (rpod system migrate: new id maps).
func forgetHolders(dir string) { os.RemoveAll(filepath.Join(dir, holdersDir)) }
