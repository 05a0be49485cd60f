package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/internal/proc"
	"github.com/rpod/rpod/runtime"
)

type runFlags struct {
	rm, interactive, tty bool
	detach               bool
	env                  []string
	workdir, user        string
	entrypoint           string
	entrypointSet        bool
	hostname, name       string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Run a command in a new container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.entrypointSet = cmd.Flags().Changed("entrypoint")
			return runContainer(cmd, &f, args[0], args[1:])
		},
	}
	addContainerFlags(cmd, &f)
	cmd.Flags().BoolVarP(&f.detach, "detach", "d", false, "run in the background and print the container id")
	return cmd
}

// addContainerFlags adds the flags run and create share.
func addContainerFlags(cmd *cobra.Command, f *runFlags) {
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.BoolVar(&f.rm, "rm", false, "remove the container when it exits")
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set environment variables (K=V, or K to copy it from rpod's environment)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&f.user, "user", "u", "", "user to run as: NAME|UID[:GROUP|GID]")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "override the image's ENTRYPOINT (a command, or a JSON array)")
	fl.StringVar(&f.hostname, "hostname", "", "container host name (default: the short container id)")
	fl.StringVar(&f.name, "name", "", "name the container")
}

// buildSpec merges the image config with the flags, as podman does.
func buildSpec(f *runFlags, ic image.Config, args []string) (runtime.Spec, error) {
	var ep []string
	if f.entrypointSet {
		if strings.HasPrefix(strings.TrimSpace(f.entrypoint), "[") {
			var err error
			if ep, err = parseJSONArray(f.entrypoint); err != nil {
				return runtime.Spec{}, fmt.Errorf("invalid --entrypoint %q: %w", f.entrypoint, err)
			}
		} else if f.entrypoint != "" {
			ep = []string{f.entrypoint}
		}
	} else {
		ep = ic.Entrypoint
	}
	command := args
	if len(command) == 0 && !f.entrypointSet {
		command = ic.Cmd
	}
	argv := append(append([]string{}, ep...), command...)
	env := []string{}
	if !hasKey(ic.Env, "PATH") {
		env = append(env, "PATH="+runtime.DefaultPath)
	}
	env = append(env, ic.Env...)
	env = append(env, "container=rpod")
	if f.tty {
		env = append(env, "TERM=xterm")
	}
	for _, e := range f.env {
		if !strings.Contains(e, "=") {
			v, ok := os.LookupEnv(e)
			if !ok {
				continue
			}
			e = e + "=" + v
		}
		if strings.HasPrefix(e, "=") {
			return runtime.Spec{}, fmt.Errorf("invalid environment variable %q: the name is empty", e)
		}
		env = setEnv(env, e)
	}
	cwd := ic.WorkingDir
	if f.workdir != "" {
		if !strings.HasPrefix(f.workdir, "/") {
			return runtime.Spec{}, fmt.Errorf("invalid --workdir %q: it must be an absolute path", f.workdir)
		}
		cwd = f.workdir
	}
	user := ic.User
	if f.user != "" {
		user = f.user
	}
	return runtime.Spec{Args: argv, Env: env, Cwd: cwd, User: user, Hostname: f.hostname, Terminal: f.tty, Seccomp: true}, nil
}

func hasKey(env []string, k string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, k+"=") {
			return true
		}
	}
	return false
}

// setEnv replaces K's value or appends K=V.
func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// createContainer makes the container run and create describe.
func createContainer(cmd *cobra.Command, f *runFlags, imageName string, args []string) (*runtime.Container, error) {
	img, err := findImage(cmd, imageName)
	if err != nil {
		return nil, err
	}
	ic, err := image.ReadConfig(cmd.Context(), g.store, img)
	if err != nil {
		return nil, err
	}
	spec, err := buildSpec(f, ic, args)
	if err != nil {
		return nil, err
	}
	return runtime.Create(g.store, runtime.Config{Name: f.name, Image: imageName, ImageID: img.ID, Spec: spec,
		Stdin: f.interactive, AutoRemove: f.rm, StopSignal: ic.StopSignal})
}

func runContainer(cmd *cobra.Command, f *runFlags, imageName string, args []string) error {
	c, err := createContainer(cmd, f, imageName, args)
	if err != nil {
		return err
	}
	if f.detach {
		if err := spawnMonitor(c); err != nil {
			return err
		}
		fmt.Println(c.ID)
		return nil
	}
	code, err := startAndWait(c, f)
	if f.rm {
		if rerr := c.Remove(true); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

func startAndWait(c *runtime.Container, f *runFlags) (int, error) {
	rootfs, err := c.Mount()
	if err != nil {
		return runtime.ExitRpodError, err
	}
	defer c.Unmount()
	spec := c.Spec
	spec.Rootfs = rootfs
	stdio := runtime.Stdio{Out: os.Stdout, Err: os.Stderr}
	if f.interactive {
		stdio.In = os.Stdin
	}
	started := time.Now()
	p, err := runtime.Start(&spec, stdio)
	if err != nil {
		code := runtime.ExitRpodError
		var ee *runtime.ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		}
		c.SetState(runtime.State{Status: "exited", ExitCode: code, StartedAt: started, FinishedAt: time.Now()})
		return code, err
	}
	pidStart, _ := proc.StartTime(p.Pid())
	c.SetState(runtime.State{Status: "running", Pid: p.Pid(), PidStart: pidStart, MonitorPid: os.Getpid(), StartedAt: started})
	code, err := p.Wait(stdio)
	c.SetState(runtime.State{Status: "exited", ExitCode: code, StartedAt: started, FinishedAt: time.Now()})
	return code, err
}
