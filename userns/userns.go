// Package userns enters the user's rootless namespace: one user+mount
// namespace per user, held open by a pause process and joined by every rpod
// before the Go runtime starts (see join.c).
package userns

/*
#include "join.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/idmap"
	"github.com/rpod/rpod/internal/account"
	"github.com/rpod/rpod/internal/proc"
)

// Env names shared with join.c.
const (
	envRootlessUID = "_RPOD_ROOTLESS_UID"
	envRootlessGID = "_RPOD_ROOTLESS_GID"
	envReexec      = "_RPOD_REEXEC"
	envWarned      = "_RPOD_WARNED"
)

func init() {
	if uid := int(C.rpod_joined_uid); uid >= 0 {
		u, g := strconv.Itoa(uid), strconv.Itoa(int(C.rpod_joined_gid))
		os.Setenv(envRootlessUID, u)
		os.Setenv(envRootlessGID, g)
		// containers/storage reads these to use its rootless defaults and overlay options.
		os.Setenv("_CONTAINERS_ROOTLESS_UID", u)
		os.Setenv("_CONTAINERS_ROOTLESS_GID", g)
		os.Setenv("_CONTAINERS_USERNS_CONFIGURED", "done")
		os.Unsetenv(envReexec)
	}
	// A monitor inherits the joined namespace from the rpod that started it.
	if Joined() && filepath.Base(os.Args[0]) == "rpod-monitor" {
		registerHolder() // holders.go
	}
}

// Warnf prints warnings; the CLI replaces it to match its own format.
var Warnf = func(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "WARN[0000] "+format+"\n", args...)
}

// Joined reports whether this process runs inside the rootless namespace.
func Joined() bool {
	return os.Geteuid() == 0 && os.Getenv(envRootlessUID) != ""
}

// Rootless reports whether rpod runs for an unprivileged user, joined or not.
func Rootless() bool {
	return os.Geteuid() != 0 || os.Getenv(envRootlessUID) != ""
}

// HostUID is the user's uid on the host, also from inside the namespace.
func HostUID() int {
	if v, err := strconv.Atoi(os.Getenv(envRootlessUID)); err == nil {
		return v
	}
	return os.Getuid()
}

// HostGID is the user's primary gid on the host.
func HostGID() int {
	if v, err := strconv.Atoi(os.Getenv(envRootlessGID)); err == nil {
		return v
	}
	return os.Getgid()
}

// RuntimeDir returns rpod's directory for runtime files, creating it.
// The rule is the same as runtime_dir in join.c: $XDG_RUNTIME_DIR/rpod when
// XDG_RUNTIME_DIR is a directory owned by the user, else a private
// /tmp/rpod-run-UID/rpod, with one warning, as podman falls back.
func RuntimeDir() (string, error) {
	if dir, ok := xdgRuntimeDir(); ok {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("create runtime directory: %w", err)
		}
		return dir, nil
	}
	base := fallbackRuntimeBase()
	if os.Getenv(envWarned) == "" && Rootless() {
		why := "is not set"
		if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
			why = fmt.Sprintf("(%s) is not a directory owned by you", x)
		}
		Warnf("XDG_RUNTIME_DIR %s: using %s instead; log in through a session (ssh, machinectl shell user@) or export XDG_RUNTIME_DIR=/run/user/%d", why, base, HostUID())
		os.Setenv(envWarned, "1")
	}
	if err := os.Mkdir(base, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("create runtime directory: %w", err)
	}
	st, err := os.Lstat(base)
	if err != nil {
		return "", fmt.Errorf("runtime directory: %w", err)
	}
	if !st.IsDir() || int(st.Sys().(*syscall.Stat_t).Uid) != os.Getuid() || st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("runtime directory %s is not a private directory of yours: remove it, or set XDG_RUNTIME_DIR to one", base)
	}
	dir := filepath.Join(base, "rpod")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create runtime directory: %w", err)
	}
	return dir, nil
}

// xdgRuntimeDir is $XDG_RUNTIME_DIR/rpod, when XDG_RUNTIME_DIR is a directory owned by the user.
func xdgRuntimeDir() (string, bool) {
	x := os.Getenv("XDG_RUNTIME_DIR")
	if x == "" || !filepath.IsAbs(x) {
		return "", false
	}
	st, err := os.Stat(x)
	if err != nil || !st.IsDir() || int(st.Sys().(*syscall.Stat_t).Uid) != os.Getuid() {
		return "", false
	}
	return filepath.Join(x, "rpod"), true
}

// fallbackRuntimeBase holds the runtime directory when XDG_RUNTIME_DIR does not.
func fallbackRuntimeBase() string { return fmt.Sprintf("/tmp/rpod-run-%d", HostUID()) }

// pause is the record in pause.pid: the pid and its start time, so that a
// recycled pid is never mistaken for our pause process.
type pause struct {
	pid   int
	start uint64
}

func pidFile(dir string) string { return filepath.Join(dir, "pause.pid") }

// livePause returns the pause process named by the pid file if it still runs and is ours.
func livePause(dir string) (pause, bool) {
	b, err := os.ReadFile(pidFile(dir))
	if err != nil {
		return pause{}, false
	}
	var p pause
	if _, err := fmt.Sscanf(string(b), "%d %d", &p.pid, &p.start); err != nil || p.pid <= 0 {
		return pause{}, false
	}
	if st, err := proc.StartTime(p.pid); err != nil || st != p.start {
		return pause{}, false
	}
	var st unix.Stat_t
	// The owner of /proc/PID, not of its ns files (those are root's).
	if err := unix.Stat(fmt.Sprintf("/proc/%d", p.pid), &st); err != nil || int(st.Uid) != os.Getuid() {
		return pause{}, false
	}
	return p, true
}

// lockPause takes the lock that serialises creating and stopping the pause
// process, and returns rpod's runtime directory with it.
func lockPause() (string, *os.File, error) {
	dir, err := RuntimeDir()
	if err != nil {
		return "", nil, err
	}
	l, err := lock(dir)
	return dir, l, err
}

func lock(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "pause.lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open pause lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock pause lock: %w", err)
	}
	return f, nil
}

// Ensure puts the process in the rootless namespace: it creates the pause
// process when none lives, then re-executes rpod so that the constructor
// joins it. It returns only when already joined (or running as real root).
func Ensure() error {
	if os.Geteuid() == 0 {
		return nil
	}
	if msg := C.GoString(&C.rpod_join_error[0]); msg != "" {
		return fmt.Errorf("%s: run `rpod system migrate` to start a new one", msg)
	}
	if os.Getenv(envReexec) != "" {
		return errors.New("could not join the rootless namespace after creating it: run `rpod system migrate` and try again")
	}
	dir, l, err := lockPause()
	if err != nil {
		return err
	}
	// Another rpod may have created it while we waited for the lock. When
	// it was killed, running containers' monitors still hold its namespace.
	if _, ok := livePause(dir); !ok && !adoptPause(dir) {
		if err := createPause(dir); err != nil {
			l.Close()
			return err
		}
	}
	l.Close()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find rpod executable: %w", err)
	}
	env := append(os.Environ(), envReexec+"=1")
	if err := syscall.Exec(exe, os.Args, env); err != nil {
		return fmt.Errorf("re-execute rpod in the rootless namespace: %w", err)
	}
	return nil
}

// SubIDFile is the subordinate ID file rpod reads for kind ("uid" or "gid"):
// RPOD_SUBUID_FILE/RPOD_SUBGID_FILE let tests and diagnostics point at
// another one; newuidmap still enforces the real one.
func SubIDFile(kind string) string {
	if v := os.Getenv("RPOD_SUB" + strings.ToUpper(kind) + "_FILE"); v != "" {
		return v
	}
	return "/etc/sub" + kind
}

// Maps computes the user's uid and gid maps from the subordinate ID files,
// warning about malformed lines and, with no ranges, about the single-ID mapping.
func Maps() (uidMaps, gidMaps []idmap.Mapping, err error) { return maps(Warnf) }

// maps is Maps with its warnings sent to warn.
func maps(warn func(string, ...any)) (uidMaps, gidMaps []idmap.Mapping, err error) {
	uid, gid := HostUID(), HostGID()
	name := account.Name(uid)
	one := func(file string, id int) ([]idmap.Mapping, bool, error) {
		entries, bad, err := idmap.Lookup(file, name, uint32(uid))
		if err != nil {
			return nil, false, err
		}
		for _, b := range bad {
			warn("%v (line ignored)", b)
		}
		if err := idmap.CheckRanges(uint32(id), entries); err != nil {
			return nil, false, fmt.Errorf("%w (rpod system check: %s)", err, checkName(file))
		}
		ranges := make([]idmap.Range, 0, len(entries))
		for _, e := range entries {
			ranges = append(ranges, e.Range)
		}
		return idmap.Default(uint32(id), ranges), len(ranges) > 0, nil
	}
	uidFile := SubIDFile("uid")
	gidFile := SubIDFile("gid")
	uidMaps, uok, err := one(uidFile, uid)
	if err != nil {
		return nil, nil, err
	}
	gidMaps, gok, err := one(gidFile, gid)
	if err != nil {
		return nil, nil, err
	}
	if !uok || !gok {
		missing := uidFile
		if uok {
			missing = gidFile
		}
		all, _, _ := idmap.AllEntries(missing)
		warn("no subordinate ID ranges for %q in %s: containers get a single-ID mapping (only root inside); add ranges with: %s", name, missing, idmap.FixAddRanges(name, idmap.FreeRange(all)))
		uidMaps = idmap.Default(uint32(uid), nil)
		gidMaps = idmap.Default(uint32(gid), nil)
	}
	return uidMaps, gidMaps, nil
}

// checkName is the `rpod system check` line for a subordinate ID file.
func checkName(file string) string {
	if file == SubIDFile("gid") {
		return "subgid"
	}
	return "subuid"
}

func createPause(dir string) error {
	uidMaps, gidMaps, err := Maps()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create pause pipe: %w", err)
	}
	defer w.Close()
	exe, err := os.Executable()
	if err != nil {
		r.Close()
		return fmt.Errorf("find rpod executable: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Args = []string{"rpod-pause"}
	cmd.Env = append(os.Environ(), "_RPOD_PAUSE=1")
	cmd.ExtraFiles = []*os.File{r}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS, Setsid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		return fmt.Errorf("create user namespace: %w", unprivilegedUsernsHint(err))
	}
	r.Close()
	pid := cmd.Process.Pid
	if err := idmap.WriteMaps(pid, uidMaps, gidMaps); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	if _, err := w.Write([]byte{1}); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("start pause process: %w", err)
	}
	st, err := proc.StartTime(pid)
	if err != nil {
		return fmt.Errorf("read pause process start time: %w", err)
	}
	tmp := pidFile(dir) + ".tmp"
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d %d\n", pid, st)), 0o600); err != nil {
		return fmt.Errorf("write pause pid file: %w", err)
	}
	if err := os.Rename(tmp, pidFile(dir)); err != nil {
		return fmt.Errorf("install pause pid file: %w", err)
	}
	cmd.Process.Release()
	return nil
}

func unprivilegedUsernsHint(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) {
		return explainUsernsFailure(err)
	}
	return err
}

// Migrate stops the pause process so that the next rpod builds a new
// namespace from the current subuid/subgid files.
func Migrate() error {
	dir, l, err := lockPause()
	if err != nil {
		return err
	}
	defer l.Close()
	if p, ok := livePause(dir); ok {
		if err := unix.Kill(p.pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("stop pause process %d: %w", p.pid, err)
		}
	}
	if err := os.Remove(pidFile(dir)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove pause pid file: %w", err)
	}
	forgetHolders(dir)
	return nil
}

// PausePID returns the live pause process's pid, or 0.
func PausePID() int {
	dir, err := RuntimeDir()
	if err != nil {
		return 0
	}
	if p, ok := livePause(dir); ok {
		return p.pid
	}
	return 0
}
