package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newUpdateCmd)
	registerContainer(newUpdateCmd)
}

func newUpdateCmd() *cobra.Command {
	var f resourceFlags
	cmd := &cobra.Command{
		Use:   "update [flags] CONTAINER [CONTAINER...]",
		Short: "Change the resource limits of containers; a running one's at once",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given := false
			cmd.Flags().Visit(func(*pflag.Flag) { given = true })
			if !given {
				return fmt.Errorf("give at least one limit to change (see rpod update --help)")
			}
			return forEach(args, func(c *runtime.Container) error {
				old := c.Cgroups.Limits
				l, res, err := f.parse(&old)
				if err != nil {
					return err
				}
				if c.Cgroups.Mode == cgroupdelegate.ModeDisabled {
					return c.NoCgroupError("update")
				}
				if err := runtime.DetectCgroups().Check(l); err != nil {
					return err
				}
				return c.Update(l, res)
			})
		},
	}
	f.add(cmd.Flags())
	return cmd
}
