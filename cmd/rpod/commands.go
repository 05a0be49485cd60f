package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/userns"
)

func parseJSONArray(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return out, nil
}

func init() {
	register(lazy("run", newRunCmd), newInfoCmd, newVersionCmd, newUnshareCmd, newSystemCmd, newRmCmd)
	registerContainer(newRmCmd)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show rpod's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Printf("Version:      %s\nGo Version:   %s\nOS/Arch:      linux/%s\n", Version, goVersion(), goArch())
		},
	}
}

func newUnshareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unshare [COMMAND [ARG...]]",
		Short: "Run a command in rpod's rootless user and mount namespace",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := enter(); err != nil {
				return err
			}
			opts, err := storeOptions()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				sh := os.Getenv("SHELL")
				if sh == "" {
					sh = "/bin/sh"
				}
				args = []string{sh}
			}
			path, err := exec.LookPath(args[0])
			if err != nil {
				code := runtime.ExitNotFound
				if !errors.Is(err, exec.ErrNotFound) && !errors.Is(err, os.ErrNotExist) {
					code = runtime.ExitCannotExec
				}
				return &exitError{code: code, msg: fmt.Sprintf("exec %q: %v", args[0], unwrapExec(err))}
			}
			env := append(os.Environ(), "CONTAINERS_GRAPHROOT="+opts.GraphRoot, "CONTAINERS_RUNROOT="+opts.RunRoot)
			err = syscall.Exec(path, args, env)
			return &exitError{code: runtime.ExitCannotExec, msg: fmt.Sprintf("exec %q: %v", args[0], err)}
		},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

func newSystemCmd() *cobra.Command {
	sys := &cobra.Command{Use: "system", Short: "Manage rpod itself"}
	sys.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Stop the pause process so that changed subuid/subgid ranges take effect",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return userns.Migrate()
		},
	})
	sys.AddCommand(newInfoCmd())
	sys.AddCommand(newSystemCheckCmd())
	return sys
}

func newRmCmd() *cobra.Command {
	var force, all, ignore, volumes bool
	var timeout uint
	var cidfiles []string
	cmd := &cobra.Command{
		Use:   "rm [flags] CONTAINER [CONTAINER...]",
		Short: "Remove containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := readCIDFiles(cidfiles, ignore)
			if err != nil {
				return err
			}
			if len(args) == 0 && !all && len(cidfiles) == 0 {
				return &exitError{code: runtime.ExitRpodError, msg: "rm needs at least one container name or id, --all or --cidfile"}
			}
			args = append(args, ids...)
			stop := time.Duration(0) // -f without -t kills at once, as a forced removal should
			if cmd.Flags().Changed("time") {
				stop = time.Duration(timeout) * time.Second
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			// shown is what rm prints for each: the name given, or the id for --all.
			type target struct {
				c     *runtime.Container
				shown string
			}
			var ts []target
			seen := map[string]bool{}
			if all {
				cs, damaged, err := runtime.Scan(store)
				if err != nil {
					return err
				}
				for _, d := range damaged {
					if c, err := runtime.LoadForRemoval(store, d.ID); err == nil {
						cs = append(cs, c)
					}
				}
				for _, c := range cs {
					seen[c.ID] = true
					ts = append(ts, target{c, c.ID})
				}
			}
			var errs []error
			for _, a := range args {
				c, err := runtime.LoadForRemoval(store, a)
				if err != nil {
					if !ignore {
						errs = append(errs, err)
					}
					continue
				}
				if !seen[c.ID] {
					seen[c.ID] = true
					ts = append(ts, target{c, a})
				}
			}
			for _, t := range ts {
				d := stop
				if !cmd.Flags().Changed("time") && t.c.StopTimeout != nil {
					d = t.c.DefaultStopTimeout() // its --stop-timeout
				}
				if err := removeContainer(t.c, force, d); err != nil {
					errs = append(errs, err)
					continue
				}
				if volumes {
					if err := removeAnonymousVolumes(t.c); err != nil {
						errs = append(errs, err)
						continue
					}
				}
				fmt.Println(t.shown)
			}
			if len(errs) > 0 {
				for _, e := range errs[:len(errs)-1] {
					fmt.Fprintf(os.Stderr, "Error: %v\n", e)
				}
				return errs[len(errs)-1]
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&force, "force", "f", false, "stop and remove running containers too")
	fl.BoolVarP(&all, "all", "a", false, "remove all containers")
	fl.BoolVarP(&ignore, "ignore", "i", false, "ignore containers that do not exist")
	stringArrayVar(fl, &cidfiles, "cidfile", "", "remove the container whose id is in this file (--cidfile of run and create)")
	fl.BoolVarP(&volumes, "volumes", "v", false, "remove the container's anonymous volumes too")
	fl.UintVarP(&timeout, "time", "t", 10, "with -f, seconds to wait for the stop signal before killing")
	return cmd
}

// removeContainer removes c, stopping it first when force is set; podman's
// exit code 2 tells a running container from other failures.
func removeContainer(c *runtime.Container, force bool, stop time.Duration) error {
	if st := c.State(); st.Status == "running" {
		defer untilMonitorGone(st) // sdnotify.go
	}
	if c.Running() {
		if !force {
			return &exitError{code: 2, msg: fmt.Sprintf("cannot remove container %s as it is running: stop it first (rpod stop %s) or use rpod rm -f", c.Name, c.Name)}
		}
		if c.State().Paused {
			// A frozen container takes no stop signal: kill it, as podman.
			if err := c.Kill(syscall.SIGKILL); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c.Wait(ctx)
		} else if err := c.Stop(stop); err != nil && !removedMeanwhile(err) {
			return err
		}
	}
	err := c.Remove(force)
	if removedMeanwhile(err) {
		return nil // its monitor removed it (run --rm) as it stopped
	}
	return err
}

// removedMeanwhile reports whether err says the container is gone: its
// monitor (run --rm) removed it while rm stopped it, a race storage tells
// as unknown, or as "not a container" when the id is half gone.
func removedMeanwhile(err error) bool {
	return errors.Is(err, cstorage.ErrContainerUnknown) || errors.Is(err, cstorage.ErrNotAContainer)
}
