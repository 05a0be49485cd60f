package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newContainerCmd, newRenameCmd, newRestartCmd, newTopCmd)
	registerContainer(newCreateCmd, newStartCmd, newStopCmd, newKillCmd, newWaitCmd, newLogsCmd,
		newRenameCmd, newRestartCmd, newTopCmd, newContainerExistsCmd, newContainerPruneCmd)
}

// containerCommands are the subcommands of `rpod container`; most are also
// top-level commands (`rpod ps` is `rpod container ps`), as in podman.
var containerCommands []func() *cobra.Command

func registerContainer(c ...func() *cobra.Command) {
	containerCommands = append(containerCommands, c...)
}

// openContainer opens the store and finds the container a command names.
func openContainer(name string) (*runtime.Container, error) {
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	return runtime.Load(store, name)
}

func newContainerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers"}
	addLazy(cmd, containerCommands) // lazy.go
	return cmd
}

func newRenameCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Give a container a new name",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := openContainer(args[0])
			if err != nil {
				return err
			}
			return c.Rename(args[1])
		},
	}
}

func newContainerExistsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exists CONTAINER",
		Short: "Exit 0 if the container exists, 1 if not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			if !runtime.Exists(store, args[0]) {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

func newContainerPruneCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove every container that is not running",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				fmt.Print("WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ")
				answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					return nil
				}
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			cs, err := runtime.List(store)
			if err != nil {
				return err
			}
			var errs []error
			for _, c := range cs {
				if c.Running() {
					continue
				}
				if err := c.Remove(false); err != nil {
					if !errors.Is(err, cstorage.ErrContainerUnknown) {
						errs = append(errs, err)
					}
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
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
	return cmd
}

func newRestartCmd() *cobra.Command {
	var timeout uint
	var all, running bool
	cmd := &cobra.Command{
		Use:   "restart [flags] CONTAINER [CONTAINER...]",
		Short: "Stop containers if they run, then start them again",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all || running {
				ids, err := containerIDs(func(c *runtime.Container) bool { return all || c.Running() }) // cidfile.go
				if err != nil {
					return err
				}
				args = append(args, ids...)
				if len(args) == 0 {
					return nil
				}
			}
			if len(args) == 0 {
				return fmt.Errorf("restart needs at least one container name or id, or --all")
			}
			return forEach(args, func(c *runtime.Container) error {
				if err := c.Stop(stopTimeout(cmd, c, timeout)); err != nil {
					return err
				}
				return spawnMonitor(c)
			})
		},
	}
	cmd.Flags().UintVarP(&timeout, "time", "t", 10, "seconds to wait for the stop signal before killing (default: the container's --stop-timeout, else 10)")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "restart all containers")
	cmd.Flags().BoolVar(&running, "running", false, "restart the running containers only")
	return cmd
}

// topColumn is one `rpod top` descriptor: its header and how to print it.
type topColumn struct {
	header string
	value  func(p runtime.TopProcess) string
}

var topColumns = map[string]topColumn{
	"user":  {"USER", func(p runtime.TopProcess) string { return p.User }},
	"group": {"GROUP", func(p runtime.TopProcess) string { return p.Group }},
	"pid":   {"PID", func(p runtime.TopProcess) string { return strconv.Itoa(p.Pid) }},
	"ppid":  {"PPID", func(p runtime.TopProcess) string { return strconv.Itoa(p.Ppid) }},
	"pgid":  {"PGID", func(p runtime.TopProcess) string { return strconv.Itoa(p.Pgid) }},
	"hpid":  {"HPID", func(p runtime.TopProcess) string { return strconv.Itoa(p.HostPid) }},
	"pcpu": {"%CPU", func(p runtime.TopProcess) string {
		if p.Elapsed <= 0 {
			return "0.000"
		}
		return fmt.Sprintf("%.3f", 100*p.CPUTime.Seconds()/p.Elapsed.Seconds())
	}},
	"etime": {"ELAPSED", func(p runtime.TopProcess) string { return p.Elapsed.Round(time.Millisecond).String() }},
	"tty":   {"TTY", func(p runtime.TopProcess) string { return p.Tty }},
	"time":  {"TIME", func(p runtime.TopProcess) string { return p.CPUTime.Truncate(time.Second).String() }},
	"args": {"COMMAND", func(p runtime.TopProcess) string {
		if len(p.Args) == 0 {
			return "[" + p.Comm + "]"
		}
		return strings.Join(p.Args, " ")
	}},
	"comm":  {"COMMAND", func(p runtime.TopProcess) string { return p.Comm }},
	"state": {"STATE", func(p runtime.TopProcess) string { return p.State }},
	"nice":  {"NI", func(p runtime.TopProcess) string { return strconv.Itoa(p.Nice) }},
	"vsz":   {"VSZ", func(p runtime.TopProcess) string { return strconv.FormatInt(p.VSZ, 10) }},
	"rss":   {"RSS", func(p runtime.TopProcess) string { return strconv.FormatInt(p.RSS, 10) }},
}

// topAIX are ps(1)'s AIX format descriptors, which podman top accepts too.
var topAIX = map[string]string{"%C": "pcpu", "%G": "group", "%P": "ppid", "%U": "user", "%a": "args", "%c": "comm",
	"%n": "nice", "%p": "pid", "%r": "pgid", "%t": "etime", "%x": "time", "%y": "tty", "%z": "vsz"}

var topDefault = []string{"user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"}

func newTopCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [FORMAT-DESCRIPTORS...]",
		Short: "Show the processes of a running container",
		Long:  "Show the processes of a running container. Descriptors: args, comm, etime, group, hpid, nice, pcpu, pgid, pid, ppid, rss, state, time, tty, user, vsz (or ps's AIX %C %G %P %U %a %c %n %p %r %t %x %y %z).",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var cols []topColumn
			for _, a := range args[1:] {
				for _, d := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' }) {
					if n, ok := topAIX[d]; ok {
						d = n
					}
					c, ok := topColumns[strings.ToLower(d)]
					if !ok {
						return fmt.Errorf("unknown top descriptor %q: use args, comm, etime, group, hpid, nice, pcpu, pgid, pid, ppid, rss, state, time, tty, user or vsz", d)
					}
					cols = append(cols, c)
				}
			}
			if len(cols) == 0 {
				for _, d := range topDefault {
					cols = append(cols, topColumns[d])
				}
			}
			c, err := openContainer(args[0])
			if err != nil {
				return err
			}
			ps, err := c.Processes()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(os.Stdout, 12, 2, 2, ' ', 0)
			row := make([]string, len(cols))
			for i, col := range cols {
				row[i] = col.header
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
			for _, p := range ps {
				for i, col := range cols {
					row[i] = col.value(p)
				}
				fmt.Fprintln(tw, strings.Join(row, "\t"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}
