package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/runtime"
)

func init() {
	register(lazy("create", newCreateCmd), newStartCmd, newStopCmd, newKillCmd, newWaitCmd, newLogsCmd)
}

func newCreateCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "create [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Create a container without starting it",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.entrypointSet = cmd.Flags().Changed("entrypoint")
			c, _, err := createContainer(cmd, &f, args[0], args[1:], false)
			if err != nil {
				return err
			}
			fmt.Println(c.ID)
			return nil
		},
	}
	addContainerFlags(cmd, &f)
	return cmd
}

// forEach runs op on each named container, printing each one's name as
// podman does, and fails with the last error after trying them all.
func forEach(names []string, op func(*runtime.Container) error) error {
	store, err := openStore()
	if err != nil {
		return err
	}
	var last error
	for _, n := range names {
		c, err := runtime.Load(store, n)
		if err == nil {
			err = op(c)
		}
		if err != nil {
			if last != nil {
				fmt.Fprintf(os.Stderr, "Error: %v\n", last)
			}
			last = err
			continue
		}
		fmt.Println(n)
	}
	return last
}

func newStartCmd() *cobra.Command {
	var attach, all bool
	var filters []string
	cmd := &cobra.Command{
		Use:   "start [flags] CONTAINER [CONTAINER...]",
		Short: "Start created or exited containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := allArgs(&args, all, filters); err != nil {
				return err
			}
			if attach {
				if len(args) != 1 {
					return fmt.Errorf("start --attach takes one container")
				}
				c, err := openContainer(args[0])
				if err != nil {
					return err
				}
				if c.Running() {
					return fmt.Errorf("container %s is already running", c.Name)
				}
				code, err := startAndWait(c, &runFlags{interactive: c.Stdin}, nil, nil)
				if err != nil {
					return err
				}
				if code != 0 {
					return &exitError{code: code}
				}
				return nil
			}
			return forEach(args, func(c *runtime.Container) error {
				if c.Running() {
					return nil
				}
				return spawnMonitor(c)
			})
		},
	}
	cmd.Flags().BoolVarP(&attach, "attach", "a", false, "run in the foreground with the container's output")
	cmd.Flags().BoolVar(&all, "all", false, "start all containers (that --filter selects)")
	stringArrayVar(cmd.Flags(), &filters, "filter", "f", "with --all, only the containers that pass: the keys of ps --filter, e.g. restart-policy=always")
	return cmd
}

func newStopCmd() *cobra.Command {
	var timeout uint
	var ignore, all bool
	var cidfiles, filters []string
	cmd := &cobra.Command{
		Use:   "stop [flags] CONTAINER [CONTAINER...]",
		Short: "Stop running containers: the stop signal, then SIGKILL after the timeout",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all {
				// The running ones: the others need no stop.
				if err := allArgs(&args, all, append(filters, "status=running")); err != nil || len(args) == 0 {
					return err
				}
			} else if len(filters) > 0 {
				return fmt.Errorf("--filter needs --all")
			} else if err := cidfileArgs(&args, cidfiles, ignore); err != nil || len(args) == 0 {
				return err
			}
			return forEach(args, func(c *runtime.Container) error {
				if st := c.State(); st.Status == "running" {
					defer untilMonitorGone(st) // sdnotify.go
				}
				return c.Stop(stopTimeout(cmd, c, timeout))
			})
		},
	}
	cmd.Flags().UintVarP(&timeout, "time", "t", 10, "seconds to wait before killing the container (default: the container's --stop-timeout, else 10)")
	cmd.Flags().BoolVarP(&ignore, "ignore", "i", false, "ignore containers that do not exist, and a missing --cidfile")
	stringArrayVar(cmd.Flags(), &cidfiles, "cidfile", "", "stop the container whose id is in this file (--cidfile of run and create)")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "stop all running containers (that --filter selects)")
	stringArrayVar(cmd.Flags(), &filters, "filter", "f", "with --all, only the containers that pass: the keys of ps --filter, e.g. restart-policy=always")
	return cmd
}

func newKillCmd() *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [flags] CONTAINER [CONTAINER...]",
		Short: "Send a signal to running containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig, err := runtime.ParseSignal(signal)
			if err != nil {
				return err
			}
			return forEach(args, func(c *runtime.Container) error { return c.Kill(sig) })
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "KILL", "signal to send")
	return cmd
}

func newWaitCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Wait for containers to stop and print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			for _, n := range args {
				c, err := runtime.Load(store, n)
				if err != nil {
					return err
				}
				code, err := c.Wait(context.Background())
				if err != nil {
					return err
				}
				fmt.Println(code)
			}
			return nil
		},
	}
}

func newLogsCmd() *cobra.Command {
	var (
		o            runtime.LogOptions
		since, until string
	)
	cmd := &cobra.Command{
		Use:   "logs [flags] CONTAINER",
		Short: "Print a container's output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Since, err = parseTime(since); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if o.Until, err = parseTime(until); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			c, err := openContainer(args[0])
			if err != nil {
				return err
			}
			o.Running = c.Running
			if c.LogDriver == "journald" {
				return runtime.ReadJournal(c.ID, o, os.Stdout, os.Stderr)
			}
			path, err := c.LogPath()
			if err != nil {
				return err
			}
			return runtime.ReadLog(path, o, os.Stdout, os.Stderr)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep printing output as the container writes it")
	f.IntVarP(&o.Tail, "tail", "n", -1, "print only the last N lines")
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show the time of each line")
	f.StringVar(&since, "since", "", "only lines since a time (RFC 3339) or a duration ago (10m)")
	f.StringVar(&until, "until", "", "only lines until a time (RFC 3339) or a duration ago")
	return cmd
}

// parseTime reads an RFC 3339 time or a duration before now, as podman's --since.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("want an RFC 3339 time (2024-01-02T15:04:05Z) or a duration (10m)")
	}
	return t, nil
}

// stopTimeout is -t when given, else the container's --stop-timeout (10 s by default).
func stopTimeout(cmd *cobra.Command, c *runtime.Container, t uint) time.Duration {
	if cmd.Flags().Changed("time") {
		return time.Duration(t) * time.Second
	}
	return c.DefaultStopTimeout()
}
