package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newSaveCmd)
	registerImage(newSaveCmd)
}

func newSaveCmd() *cobra.Command {
	var (
		output, format string
		quiet, multi   bool
	)
	cmd := &cobra.Command{
		Use:   "save [flags] IMAGE [IMAGE...]",
		Short: "Save images to an archive or directory",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && term.IsTerminal(int(os.Stdout.Fd())) {
				return fmt.Errorf("refusing to save to terminal. Use -o flag or redirect")
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			return image.Save(cmd.Context(), store, image.SystemContext(), args, image.SaveOptions{
				Format: format,
				Output: output,
				Stdout: os.Stdout,
				Report: progressTo(quiet),
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "write to FILE (a directory for oci-dir and docker-dir) instead of stdout")
	f.StringVar(&format, "format", image.DockerArchive, "docker-archive, oci-archive, oci-dir or docker-dir")
	f.BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	// podman needs -m for several images in one archive; rpod always allows it.
	f.BoolVarP(&multi, "multi-image-archive", "m", false, "accepted for podman compatibility: a docker-archive always holds every image named")
	return cmd
}
