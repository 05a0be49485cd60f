package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/internal/proc"
	"github.com/rpod/rpod/runtime"
)

func init() { register(newExecCmd) }

type execFlags struct {
	interactive, tty, detach, privileged bool
	env, envFiles                        []string
	user, workdir                        string
}

func newExecCmd() *cobra.Command {
	var f execFlags
	cmd := &cobra.Command{
		Use:   "exec [flags] CONTAINER COMMAND [ARG...]",
		Short: "Run a process in a running container",
		Args: func(cmd *cobra.Command, args []string) error {
			switch len(args) {
			case 0:
				return errors.New("exec requires the name or ID of a container and a command: rpod exec CONTAINER COMMAND [ARG...]")
			case 1:
				return fmt.Errorf("must provide a non-empty command to start an exec session: rpod exec %s COMMAND [ARG...]", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return execContainer(&f, args[0], args[1:])
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fl.BoolVarP(&f.detach, "detach", "d", false, "run the command in the background")
	stringArrayVar(fl, &f.env, "env", "e", "set environment variables (K=V, or K to copy it from rpod's environment)")
	stringArrayVar(fl, &f.envFiles, "env-file", "", "read environment variables from a file of K=V lines")
	fl.StringVarP(&f.user, "user", "u", "", "user to run as: NAME|UID[:GROUP|GID] (default: the container's)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container (default: the container's)")
	fl.BoolVar(&f.privileged, "privileged", false, "give the process every capability and no seccomp filter")
	return cmd
}

func execContainer(f *execFlags, name string, args []string) error {
	if f.detach && f.tty {
		return errors.New("--detach and --tty cannot be used together: rpod keeps no process to hold a detached terminal; drop -t")
	}
	c, err := openContainer(name)
	if err != nil {
		if errors.Is(err, cstorage.ErrContainerUnknown) {
			return fmt.Errorf("no container with name or ID %q found: it is not running, so rpod cannot exec into it (see rpod ps -a)", name)
		}
		return err
	}
	st := c.State()
	if st.Status != "running" || st.Pid <= 0 {
		return fmt.Errorf("can only exec into a running container: container %s is not running (%s): start it with rpod run", c.Name, st.Status)
	}
	if st.Paused {
		return fmt.Errorf("can only create exec sessions on running containers: container %s is paused: container state improper: rpod unpause it first", c.Name)
	}
	spec, err := execSpec(f, c.Spec, args)
	if err != nil {
		return err
	}
	stdio := runtime.Stdio{Out: os.Stdout, Err: os.Stderr}
	if f.interactive {
		stdio.In = os.Stdin
	}
	if f.detach {
		// Nothing of rpod's may be held open by a process that outlives it.
		stdio = runtime.Stdio{}
	}
	start := st.PidStart
	if start == 0 {
		start, _ = proc.StartTime(st.Pid)
	}
	var cg *cgroupdelegate.Group
	if st.CgroupPath != "" {
		cg = cgroupdelegate.Open(st.CgroupPath) // its limits apply to exec'd processes too
	}
	p, err := runtime.StartExec(st.Pid, start, cg, &spec, stdio)
	if err != nil {
		return err
	}
	if f.detach {
		p.Release()
		return nil
	}
	code, err := p.Wait(stdio)
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// execSpec is the container's process settings with exec's flags over them, as podman merges them.
func execSpec(f *execFlags, cs runtime.Spec, args []string) (runtime.Spec, error) {
	env := append([]string{}, cs.Env...)
	if f.tty && !hasKey(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	for _, file := range f.envFiles {
		kvs, err := readEnvFileFlag(file)
		if err != nil {
			return runtime.Spec{}, err
		}
		for _, kv := range kvs {
			env = setEnv(env, kv)
		}
	}
	for _, e := range f.env {
		kv, ok, err := envArg(e)
		if err != nil {
			return runtime.Spec{}, err
		}
		if ok {
			env = setEnv(env, kv)
		}
	}
	cwd := cs.Cwd
	if f.workdir != "" {
		if !strings.HasPrefix(f.workdir, "/") {
			return runtime.Spec{}, fmt.Errorf("invalid --workdir %q: it must be an absolute path", f.workdir)
		}
		cwd = f.workdir
	}
	user := cs.User
	if f.user != "" {
		user = f.user
	}
	s := runtime.Spec{
		Args: args, Env: env, Cwd: cwd, User: user, Terminal: f.tty,
		Caps: cs.Caps, NoNewPrivileges: cs.NoNewPrivileges, Seccomp: cs.Seccomp,
		SeccompProfile: cs.SeccompProfile, Ulimits: cs.Ulimits, GroupAdd: cs.GroupAdd, UserNS: cs.UserNS,
	}
	if f.privileged {
		s.Caps, s.Seccomp = []string{"ALL"}, false
	}
	return s, nil
}

// envArg turns -e K=V, or -e K (copied from rpod's environment, skipped when unset), into K=V.
func envArg(e string) (kv string, ok bool, err error) {
	if strings.HasPrefix(e, "=") || e == "" {
		return "", false, fmt.Errorf("invalid environment variable %q: the name is empty", e)
	}
	if strings.Contains(e, "=") {
		return e, true, nil
	}
	v, set := os.LookupEnv(e)
	if !set {
		return "", false, nil
	}
	return e + "=" + v, true, nil
}
