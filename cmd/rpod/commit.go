package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/runtime"
)

func init() { register(newCommitCmd); registerContainer(newCommitCmd) }

func newCommitCmd() *cobra.Command {
	var o image.CommitOptions
	var quiet bool
	cmd := &cobra.Command{
		Use:   "commit [flags] CONTAINER [IMAGE]",
		Short: "Create a new image from a container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			c, err := runtime.Load(store, args[0])
			if err != nil {
				return err
			}
			if len(args) == 2 {
				o.Name = args[1]
			}
			layer, err := c.LayerID()
			if err != nil {
				return err
			}
			layers, err := c.Store()
			if err != nil {
				return err
			}
			img, err := image.Commit(cmd.Context(), store, layers, c.ImageID, layer, o)
			if err != nil {
				return err
			}
			// podman prints only the id on stdout, with or without -q.
			_ = quiet
			fmt.Println(img.ID)
			return nil
		},
	}
	f := cmd.Flags()
	stringArrayVar(f, &o.Changes, "change", "c", "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL) to the image's config")
	f.StringVarP(&o.Message, "message", "m", "", "commit message, kept in the image's history")
	f.StringVarP(&o.Author, "author", "a", "", "author of the image")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the image id (rpod never prints more)")
	return cmd
}
