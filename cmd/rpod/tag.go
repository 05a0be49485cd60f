package main

import (
	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newTagCmd, newUntagCmd)
	registerImage(newTagCmd, newUntagCmd)
}

func newTagCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tag IMAGE NAME [NAME...]",
		Short: "Add names to a local image",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, img, err := openImage(args[0])
			if err != nil {
				return err
			}
			names, err := normalizeNames(args[1:])
			if err != nil {
				return err
			}
			return image.Tag(store, img, names)
		},
	}
}

func newUntagCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "untag IMAGE [NAME...]",
		Short: "Remove names from a local image (all of them when none is given)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, img, err := openImage(args[0])
			if err != nil {
				return err
			}
			names := img.Names
			if len(args) > 1 {
				if names, err = normalizeNames(args[1:]); err != nil {
					return err
				}
			}
			if len(names) == 0 {
				return nil
			}
			return image.Untag(store, img, names)
		},
	}
}

func normalizeNames(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, n := range in {
		full, err := image.NormalizeName(n)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}
