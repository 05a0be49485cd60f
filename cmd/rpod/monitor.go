package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/internal/prefault"
	"github.com/rpod/rpod/runtime"
)

func init() { register(newMonitorCmd) }

// monitorMsg is what the monitor tells the rpod that started it.
type monitorMsg struct {
	Code int    `json:"code"`
	Msg  string `json:"msg,omitempty"`
}

// newMonitorCmd is the detached process that owns a container (run -d,
// start): a re-execution of rpod in its own session, so that it outlives
// the command that started it.
func newMonitorCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "__monitor ID",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A unit's stop (KillMode=mixed) sends TERM to its main process, the
			// monitor, once ExecStop's rpod stop returns: the monitor must not
			// die of it while it records the exit and cleans up. A handler, not
			// SIG_IGN, which the container would inherit.
			signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM)
			sync := os.NewFile(3, "monitor-sync")
			told := false
			var c *runtime.Container
			tell := func(err error) {
				if told {
					return
				}
				told = true
				if err == nil {
					// Before rpod run -d exits: systemd must know the new main PID by then.
					notifyStarted(c)
				}
				m := monitorMsg{}
				if err != nil {
					m = monitorMsg{Code: runtime.ErrorCode(err), Msg: err.Error()}
				}
				json.NewEncoder(sync).Encode(m)
				sync.Close()
			}
			c, err := openContainer(args[0])
			if err != nil {
				tell(err)
				return err
			}
			done, err := monitorUnderUnit(c)
			if err != nil {
				tell(err)
				return err
			}
			defer done()
			hooks, err := networkHooks(c)
			if err != nil {
				tell(err)
				return err
			}
			code := c.Monitor(tell, hooks)
			asked := c.StoppedByUser()
			if c.AutoRemove && c.Remove(true) == nil {
				removeAnonymousVolumes(c) // as podman's --rm
			}
			if code != 0 && !asked {
				// As conmon: a unit whose main process is the monitor sees the
				// container's exit, for Restart=on-failure; a stop the user (or
				// the unit's ExecStop) asked for is a clean end.
				return &exitError{code: code}
			}
			return nil
		},
	}
}

// spawnMonitor starts the container under a detached monitor and returns
// once its command runs, or with why it could not.
func spawnMonitor(c *runtime.Container) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find rpod executable: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("monitor pipe: %w", err)
	}
	defer r.Close()
	// The monitor opens the store exactly as this rpod did.
	args := append(storeArgs(), "__monitor", c.ID)
	dir, err := c.Directory()
	if err != nil {
		w.Close()
		return err
	}
	// The monitor's own complaints, for when it dies before reporting.
	logPath := filepath.Join(dir, "monitor.log")
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return fmt.Errorf("monitor log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "rpod-monitor"
	// One P is plenty for a process that mostly waits, and each costs
	// memory in every one of the user's idle containers (bench/scale), as
	// would memory populated ahead for a fast start.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", prefault.SkipEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start monitor: %w", err)
	}
	var m monitorMsg
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the monitor of %s exited before the container started: see %s", c.Name, logPath)
		}
		return fmt.Errorf("read from monitor: %w", err)
	}
	cmd.Process.Release()
	if m.Code != 0 {
		return &runtime.ExitError{Code: m.Code, Msg: m.Msg}
	}
	return nil
}

// storeArgs are the global store flags this rpod was given, for an rpod it
// starts on the same store (the monitor, a health check's timer).
func storeArgs() []string {
	var args []string
	for _, f := range []struct{ name, value string }{{"--root", g.root}, {"--runroot", g.runroot}, {"--storage-driver", g.driver}} {
		if f.value != "" {
			args = append(args, f.name, f.value)
		}
	}
	for _, o := range g.storageOpts {
		args = append(args, "--storage-opt", o)
	}
	return args
}
