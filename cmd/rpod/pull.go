package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newPullCmd)
	registerImage(newPullCmd)
}

func newPullCmd() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "pull [flags] IMAGE",
		Short: "Pull an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			o := image.PullOptions{Report: os.Stderr}
			if quiet {
				o.Report = nil
			}
			img, err := image.Pull(cmd.Context(), store, image.SystemContext(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Println(img.ID)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the image id")
	return cmd
}
