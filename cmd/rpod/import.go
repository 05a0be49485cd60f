package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newImportCmd)
	registerImage(newImportCmd)
}

func newImportCmd() *cobra.Command {
	var (
		changes []string
		message string
		quiet   bool
	)
	cmd := &cobra.Command{
		Use:   "import [flags] FILE|URL|- [REFERENCE]",
		Short: "Create an image from a root filesystem tarball",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			o := image.ImportOptions{Changes: changes, Message: message, Report: progressTo(quiet)}
			if len(args) == 2 {
				o.Name = args[1]
			}
			img, err := image.Import(cmd.Context(), store, image.SystemContext(), args[0], os.Stdin, o)
			if err != nil {
				return err
			}
			fmt.Println(img.ID)
			return nil
		},
	}
	f := cmd.Flags()
	stringArrayVar(f, &changes, "change", "c", `apply a Dockerfile instruction to the image: "CMD /bin/sh", "ENV A=B", "WORKDIR /x", "USER 1000", ENTRYPOINT, EXPOSE, LABEL, VOLUME, STOPSIGNAL`)
	f.StringVarP(&message, "message", "m", "", "commit message for the imported layer")
	f.BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}
