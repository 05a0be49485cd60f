package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newPushCmd)
	registerImage(newPushCmd)
}

func newPushCmd() *cobra.Command {
	var (
		quiet  bool
		format string
		rf     registryFlags
	)
	cmd := &cobra.Command{
		Use:   "push [flags] IMAGE [DESTINATION]",
		Short: "Push an image to a registry",
		Long:  "Push an image to a registry. DESTINATION ([docker://]REGISTRY/NAME[:TAG]) defaults to the image's own name.",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := image.ManifestType(format); err != nil {
				return err
			}
			sys, err := rf.systemContext(cmd)
			if err != nil {
				return err
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			dest := ""
			if len(args) == 2 {
				dest = args[1]
			}
			o := image.PushOptions{Report: os.Stderr, Format: format}
			if quiet {
				o.Report = nil
			}
			return image.Push(cmd.Context(), store, sys, args[0], dest, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	f.StringVarP(&format, "format", "f", "", "manifest type to push: oci or v2s2 (default: the image's own)")
	rf.add(f, true)
	return cmd
}
