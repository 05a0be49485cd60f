package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"
	"golang.org/x/term"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newLoadCmd)
	registerImage(newLoadCmd)
}

func newLoadCmd() *cobra.Command {
	var (
		input string
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "load [flags]",
		Short: "Load images from a docker-archive or oci-archive",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if input == "" && term.IsTerminal(int(os.Stdin.Fd())) {
				return fmt.Errorf("cannot read an archive from a terminal: use -i FILE or redirect stdin")
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			sys := image.SystemContext()
			file := input
			if file == "" {
				// An archive is read twice (to tell its format, then to copy it).
				if file, err = image.SpoolToFile(sys, os.Stdin, "rpod-load-*.tar"); err != nil {
					return fmt.Errorf("load: read stdin: %w", err)
				}
				defer os.Remove(file)
			}
			report := progressTo(quiet)
			loaded, err := image.Load(cmd.Context(), store, sys, file, report)
			for _, l := range loaded {
				for _, n := range l.Names {
					fmt.Printf("Loaded image: %s\n", n)
				}
			}
			if err != nil && input == "" {
				return errors.New(strings.ReplaceAll(err.Error(), file, "stdin"))
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&input, "input", "i", "", "read the archive from FILE instead of stdin")
	f.BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}

// progressTo is where copy progress goes: stderr, or nowhere with -q.
func progressTo(quiet bool) io.Writer {
	if quiet {
		return nil
	}
	return os.Stderr
}

// printCopied prints the id of each image copied in, as pull does; pull
// calls it for a transport reference (docker-archive:, oci:, dir: ...).
func printCopied(imgs []*cstorage.Image, err error) error {
	for _, img := range imgs {
		fmt.Println(img.ID)
	}
	return err
}
