package runtime

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rpod/rpod/cgroupdelegate"
)

// envExecPid tells userns/exec.c which process's namespaces to join, as
// "PID START" so that a reused pid is not joined.
const envExecPid = "_RPOD_EXEC_PID"

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

// spawnExecStep starts rpod itself, for userns/exec.c to join the
// container's namespaces and run the step there (runtime/step).
func spawnExecStep(env []string, attr *syscall.SysProcAttr, terminal bool, stdio Stdio) (*spawned, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find rpod executable: %w", err)
	}
	return spawnChildExe(self, execArg, "exec session", env, attr, terminal, stdio)
}

// Release lets the started command run on without rpod: -d.
func (p *Process) Release() {
	signal.Stop(p.sigs)
	if p.master != nil {
		p.master.Close()
	}
	p.cmd.Process.Release()
}
