package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/runtime/caps"
	"github.com/rpod/rpod/runtime/seccomp"
)

// initError carries the exit code podman would give for a failure.
type initError struct {
	code int
	msg  string
}

func (e *initError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &initError{code: code, msg: fmt.Sprintf(format, args...)}
}

// InitMain is the init step: it runs as the first process of the container's
// new namespaces, builds the container's root and execs the command. It
// returns only by exiting.
func InitMain() { childMain("container", initContainer) }

// syncFD is a child step's end of its socket to rpod (userns/exec.c's SYNC_FD).
const syncFD = 3

// childMain is the protocol the init step and rpod exec's step share: read
// the spec from fd 3, run step, which execs on success, and on failure send
// the error with podman's exit code back over fd 3 and exit with it.
func childMain(what string, step func(*Spec, *os.File) error) {
	// Capabilities, seccomp and credentials are per thread: all of it
	// happens on this one, which then execs.
	goruntime.LockOSThread()
	sock := os.NewFile(syncFD, "sync")
	unix.CloseOnExec(syncFD)
	var spec Spec
	tree, err := recvSpec(sock, &spec) // specsock.go
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: read %s spec: %v\n", what, err)
		os.Exit(ExitRpodError)
	}
	spec.rootfsTree = tree
	err = step(&spec, sock)
	code := ExitRpodError
	var ie *initError
	if errors.As(err, &ie) {
		code = ie.code
	}
	b, _ := json.Marshal(syncMsg{Type: "error", Msg: err.Error(), Code: code})
	sock.Write(b)
	os.Exit(code)
}

func initContainer(s *Spec, sock *os.File) error {
	// rpod has moved us into the container's cgroup by now (cgroup.go).
	if err := unshareCgroupNS(s); err != nil {
		return err
	}
	if err := joinNetNS(s); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	root := s.Rootfs
	if s.rootfsTree != nil {
		// Prestarted: rpod mounted the rootfs after this namespace was
		// cloned, and sent a clone of that mount.
		err := unix.MoveMount(int(s.rootfsTree.Fd()), "", unix.AT_FDCWD, root, unix.MOVE_MOUNT_F_EMPTY_PATH)
		s.rootfsTree.Close()
		if err != nil {
			return fmt.Errorf("attach rootfs: %w", err)
		}
	}
	if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs: %w", err)
	}
	if err := mountProc(root, s); err != nil {
		return err
	}
	if err := mountDev(root, s); err != nil {
		return err
	}
	if err := mountDevices(root, s); err != nil {
		return err
	}
	if err := mountSys(root); err != nil {
		return err
	}
	if err := mountUser(root, s); err != nil {
		return err
	}
	if err := mountInit(root, s); err != nil {
		return err
	}
	if err := mountEtcFiles(root, s); err != nil {
		return err
	}
	if s.Terminal {
		if err := setupTerminal(root, s, sock); err != nil {
			return err
		}
	}
	if err := pivot(root); err != nil {
		return err
	}
	// Before maskPaths makes /proc/sys read-only.
	if err := applySysctls(s); err != nil {
		return err
	}
	if err := maskPaths(s); err != nil {
		return err
	}
	if !s.HostUTS {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("set hostname: %w", err)
		}
	}
	if err := loopbackUp(); err != nil {
		return err
	}
	u, env, cwd, err := processUser(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fmt.Errorf("create working directory %s: %w", cwd, err)
	}
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("change to working directory %s: %w", cwd, err)
	}
	if len(s.Args) == 0 {
		return fail(ExitRpodError, "no command specified: give one after the image name, or use an image with an ENTRYPOINT or CMD")
	}
	path, err := lookPath(s.Args[0], env)
	if err != nil {
		return err
	}
	path, args := withInit(s, path, s.Args)
	if s.AwaitNetwork {
		if err := awaitGoAhead(s); err != nil {
			return err
		}
	}
	return execAs(s, u, path, args, env)
}

// rearmParentDeath sets the signal the command gets when rpod dies again,
// on this thread, which execs: the kernel set it on the step's first
// thread only, and a change of uid or gid clears it (prctl(2)); without
// it, a container run with --user or --userns keep-id outlived a killed
// rpod. rpod may have died already: its end of the sync socket (fd 3)
// says so, and then the command does not run.
func rearmParentDeath(s *Spec) error {
	if s.ParentDeathSignal == 0 {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(s.ParentDeathSignal), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent death signal: %w", err)
	}
	fds := []unix.PollFd{{Fd: syncFD, Events: unix.POLLRDHUP}}
	if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0 {
		os.Exit(ExitRpodError) // no one is left to tell
	}
	return nil
}

// processUser resolves the user the command runs as, with its groups, its
// environment (HOME from the user's entry unless the spec sets one) and its
// working directory.
func processUser(s *Spec) (u ExecUser, env []string, cwd string, err error) {
	if u, err = resolveUserIn(s.User); err != nil {
		return u, nil, "", fail(ExitRpodError, "%v", err)
	}
	if err := addGroups(s, &u); err != nil {
		return u, nil, "", err
	}
	env = s.Env
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+u.Home)
	}
	cwd = s.Cwd
	if cwd == "" {
		cwd = "/"
	}
	return u, env, cwd, nil
}

// execAs drops to the container's credentials and execs; every step acts on
// the locked thread only, which exec turns into the process's state.
func execAs(s *Spec, u ExecUser, path string, args, env []string) error {
	if err := closeInherited(); err != nil {
		return err
	}
	if err := setRlimits(s); err != nil {
		return err
	}
	// Installed while we still hold CAP_SYS_ADMIN, so no_new_privs is not required.
	if err := installSeccomp(s); err != nil {
		return err
	}
	if s.NoNewPrivileges {
		if err := seccomp.SetNoNewPrivs(); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	groups := make([]uint32, len(u.Groups))
	copy(groups, u.Groups)
	if err := setgroups(groups); err != nil && len(groups) > 0 {
		return fmt.Errorf("set supplementary groups: %w", err)
	}
	names := s.Caps
	if names == nil {
		names = caps.Default
	}
	var keep []int
	for _, n := range names {
		c, err := caps.Parse(n)
		if err != nil {
			return fail(ExitRpodError, "%v", err)
		}
		keep = append(keep, c...)
	}
	if err := caps.Apply(keep); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
		return fmt.Errorf("set gid %d: %w", u.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
		return fmt.Errorf("set uid %d: %w (is the uid mapped? see rpod info idMappings)", u.UID, e)
	}
	if err := rearmParentDeath(s); err != nil {
		return err
	}
	err := syscall.Exec(path, args, env)
	switch {
	case errors.Is(err, unix.ENOENT):
		return fail(ExitNotFound, "exec %q: no such file or directory", args[0])
	default:
		return fail(ExitCannotExec, "exec %q: %v: the command cannot be invoked", args[0], err)
	}
}

// closeInherited has exec close every descriptor but stdio: rpod hands its
// children only those, but a descriptor rpod inherited open from its own
// caller would otherwise reach the command, and one of a host directory
// leads out of the container's root.
func closeInherited() error {
	err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Before Linux 5.11: each one the process has.
	ents, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("close inherited descriptors: %w (%v)", err, rerr)
	}
	for _, e := range ents {
		if fd, perr := strconv.Atoi(e.Name()); perr == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

func setgroups(g []uint32) error {
	var p uintptr
	if len(g) > 0 {
		p = uintptr(unsafe.Pointer(&g[0]))
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(g)), p, 0); e != 0 {
		return e
	}
	return nil
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, key+"=") {
			return true
		}
	}
	return false
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// DefaultPath is the PATH a container gets when its image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookPath finds the command in the container's own PATH, with podman's
// exit codes: 127 when there is no such command, 126 when it cannot run.
func lookPath(file string, env []string) (string, error) {
	check := func(p string) error {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return unix.EACCES
		}
		return nil
	}
	if strings.Contains(file, "/") {
		err := check(file)
		switch {
		case err == nil:
			return file, nil
		case errors.Is(err, os.ErrNotExist):
			return "", fail(ExitNotFound, "exec %q: no such file or directory in the container", file)
		default:
			return "", fail(ExitCannotExec, "exec %q: permission denied: not an executable file", file)
		}
	}
	path := envValue(env, "PATH")
	if path == "" {
		path = DefaultPath
	}
	denied := ""
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		err := check(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, unix.EACCES) && denied == "" {
			denied = p
		}
	}
	if denied != "" {
		return "", fail(ExitCannotExec, "exec %q: permission denied: %s is not an executable file", file, denied)
	}
	return "", fail(ExitNotFound, "exec %q: executable file not found in $PATH of the container", file)
}

// unshareCgroupNS gives the init step a cgroup namespace rooted at the
// cgroup it has been moved into (the container's leaf), so that the
// cgroup2 it mounts on /sys/fs/cgroup shows the container's own limits.
// It acts on the locked thread, which then execs.
func unshareCgroupNS(s *Spec) error {
	if s.HostCgroupNS {
		return nil
	}
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("new cgroup namespace: %w", err)
	}
	return nil
}
