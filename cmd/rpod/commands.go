package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

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
	register(newRunCmd, newInfoCmd, newVersionCmd, newUnshareCmd, newSystemCmd, newPsCmd, newRmCmd)
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
	return sys
}

func newPsCmd() *cobra.Command {
	var all, quiet bool
	cmd := &cobra.Command{
		Use:     "ps [flags]",
		Aliases: []string{"list", "ls"},
		Short:   "List containers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			cs, err := runtime.List(store)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			if !quiet {
				fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tNAMES")
			}
			for _, c := range cs {
				st := c.State()
				if !all && st.Status != "running" {
					continue
				}
				if quiet {
					fmt.Fprintln(w, c.ID[:12])
					continue
				}
				status := st.Status
				switch st.Status {
				case "exited":
					status = fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, since(st.FinishedAt))
				case "running":
					status = "Up " + since(st.StartedAt)
				case "created":
					status = "Created"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s ago\t%s\t%s\n", c.ID[:12], c.Image, truncate(strings.Join(c.Spec.Args, " "), 20), since(c.Created), status, c.Name)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "show all containers, not only running ones")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only container ids")
	return cmd
}

func since(t time.Time) string {
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func newRmCmd() *cobra.Command {
	var force, all bool
	cmd := &cobra.Command{
		Use:   "rm [flags] CONTAINER [CONTAINER...]",
		Short: "Remove containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return &exitError{code: runtime.ExitRpodError, msg: "rm needs at least one container name or id, or --all"}
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			var cs []*runtime.Container
			if all {
				if cs, err = runtime.List(store); err != nil {
					return err
				}
			}
			var errs []error
			for _, a := range args {
				c, err := runtime.Load(store, a)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				cs = append(cs, c)
			}
			for _, c := range cs {
				if err := c.Remove(force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Println(c.ID)
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
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove running containers too")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove all containers")
	return cmd
}
