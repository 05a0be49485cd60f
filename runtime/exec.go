//go:build !rpodinit

package runtime

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/cgroupdelegate"
)

// execArg is argv[1] of the re-executed rpod that enters a running
// container; userns/exec.c joins the namespaces before Go starts.
const execArg = "__rpod_exec"

// envExecPid tells userns/exec.c which process's namespaces to join, as
// "PID START" so that a reused pid is not joined.
const envExecPid = "_RPOD_EXEC_PID"

// IsExec reports whether this process is rpod exec's step inside a container.
func IsExec(args []string) bool { return len(args) > 1 && args[1] == execArg }

// StartExec runs spec's command in the namespaces of the running container
// whose first process is pid (started at pidStart), and returns once the
// command has been exec'd, or with why it could not be (an *ExitError with
// podman's code). Wait attaches the terminal and returns the exit code;
// Release leaves the command running on its own.
// The command joins the container's cgroup cg when it has one (non-nil).
func StartExec(pid int, pidStart uint64, cg *cgroupdelegate.Group, spec *Spec, stdio Stdio) (*Process, error) {
	// Its own session, as for the container itself. No Pdeathsig, unlike
	// Start: as with podman, an exec session outlives a killed rpod exec.
	attr := &syscall.SysProcAttr{Setsid: true}
	env := []string{fmt.Sprintf("%s=%d %d", envExecPid, pid, pidStart)}
	return startChild(execArg, "exec session", env, attr, spec, stdio, Hooks{Cgroup: cg})
}

// Release lets the started command run on without rpod: -d.
func (p *Process) Release() {
	signal.Stop(p.sigs)
	if p.master != nil {
		p.master.Close()
	}
	p.cmd.Process.Release()
}

// ExecMain is rpod exec's step inside the container: userns/exec.c has
// joined its namespaces, so / is the container's root. It reads the spec
// from fd 3, sets up the process as the init step does, and execs; it
// returns only by exiting.
func ExecMain() { childMain("exec", execInContainer) }

func execInContainer(s *Spec, sock *os.File) error {
	u, err := resolveUserIn(s.User)
	if err != nil {
		return fail(ExitRpodError, "%v", err)
	}
	if err := addGroups(s, &u); err != nil {
		return err
	}
	env := s.Env
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+u.Home)
	}
	cwd := s.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := unix.Chdir(cwd); err != nil {
		return fail(ExitNotFound, "change to working directory %s in the container: %v", cwd, err)
	}
	if len(s.Args) == 0 {
		return fail(ExitRpodError, "no command specified: give one after the container name")
	}
	if s.Terminal {
		if err := execTerminal(s, sock, int(u.UID)); err != nil {
			return err
		}
	}
	path, err := lookPath(s.Args[0], env)
	if err != nil {
		return err
	}
	return execAs(s, u, path, s.Args, env)
}

// execTerminal makes a pty in the container's own devpts the process's
// stdio and controlling terminal, and sends its master to rpod exec.
func execTerminal(s *Spec, sock *os.File, uid int) error {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the container's /dev/ptmx: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("pty number: %w", err)
	}
	slave, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open pty slave: %w", err)
	}
	// The user may reopen its terminal (/dev/tty, tty(1) checks), as with podman.
	unix.Fchown(slave, uid, -1)
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("attach pty: %w", err)
		}
	}
	unix.Close(slave)
	// exec.c forked us: never a process group leader, so setsid succeeds.
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("new session: %w", err)
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	return sendPTY(sock, mfd, s) // mounts.go
}
