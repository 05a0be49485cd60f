package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newPauseCmd, newUnpauseCmd)
	registerContainer(newPauseCmd, newUnpauseCmd)
}

func newPauseCmd() *cobra.Command {
	return freezeCmd("pause", "Pause all the processes in containers (cgroup.freeze)", (*runtime.Container).Pause)
}

func newUnpauseCmd() *cobra.Command {
	return freezeCmd("unpause", "Resume the processes of paused containers", (*runtime.Container).Unpause)
}

// freezeCmd is pause or unpause: op on each named container, or on every
// running one with --all.
func freezeCmd(name, short string, op func(*runtime.Container) error) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   name + " [flags] CONTAINER [CONTAINER...]",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return fmt.Errorf("give one or more containers, or --all")
			}
			if all {
				store, err := openStore()
				if err != nil {
					return err
				}
				cs, err := runtime.List(store)
				if err != nil {
					return err
				}
				for _, c := range cs {
					st := c.State()
					// As podman: --all acts on those it can.
					if st.Status == "running" && st.Paused == (name == "unpause") {
						args = append(args, c.ID)
					}
				}
				if len(args) == 0 {
					return nil
				}
			}
			return forEach(args, op)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, name+" all running containers")
	return cmd
}
