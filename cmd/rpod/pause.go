package main

import (
	"github.com/spf13/cobra"

	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newPauseCmd, newUnpauseCmd)
	registerContainer(newPauseCmd, newUnpauseCmd)
}

func newPauseCmd() *cobra.Command {
	return freezeCmd("pause", "Pause all the processes in containers (cgroup.freeze)", "running", (*runtime.Container).Pause)
}

func newUnpauseCmd() *cobra.Command {
	return freezeCmd("unpause", "Resume the processes of paused containers", "paused", (*runtime.Container).Unpause)
}

// freezeCmd is pause or unpause: op on each named container, or with --all
// on every one whose status is from (as podman: --all acts on those it can).
func freezeCmd(name, short, from string, op func(*runtime.Container) error) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   name + " [flags] CONTAINER [CONTAINER...]",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			var filters []string
			if all {
				filters = []string{"status=" + from}
			}
			if err := allArgs(&args, all, filters); err != nil {
				return err
			}
			return forEach(args, op)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, name+" all "+from+" containers")
	return cmd
}
