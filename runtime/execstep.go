package runtime

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// execArg is argv[1] of the step that enters a running container: rpod
// re-executed, whose userns/exec.c joins the namespaces before Go starts,
// and then, inside, the init step's program (cmd/rpod-init) when rpod
// has one appended.
const execArg = "__rpod_exec"

// IsExec reports whether this process is rpod exec's step inside a container.
func IsExec(args []string) bool { return len(args) > 1 && args[1] == execArg }

// ExecMain is rpod exec's step inside the container: userns/exec.c has
// joined its namespaces, so / is the container's root. It reads the spec
// from fd 3, sets up the process as the init step does, and execs; it
// returns only by exiting.
func ExecMain() { childMain("exec", execInContainer) }

func execInContainer(s *Spec, sock *os.File) error {
	u, env, cwd, err := processUser(s)
	if err != nil {
		return err
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
