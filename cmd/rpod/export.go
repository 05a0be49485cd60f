package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.podman.io/storage/pkg/archive"
	"golang.org/x/term"
)

func init() { register(newExportCmd) }

func newExportCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export [flags] CONTAINER",
		Short: "Export a container's root filesystem as a tar archive",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && term.IsTerminal(int(os.Stdout.Fd())) {
				return fmt.Errorf("refusing to export to terminal. Use -o flag or redirect")
			}
			// openStore joins the user namespace: the tar is made there, so
			// owners are the ones the container sees (root is 0, not the user).
			c, err := openContainer(args[0])
			if err != nil {
				return err
			}
			dir, err := c.Mount()
			if err != nil {
				return fmt.Errorf("export %s: %w", c.Name, err)
			}
			defer c.Unmount()
			out := io.Writer(os.Stdout)
			var f *os.File
			if output != "" {
				// Written beside the destination and renamed, so a failure leaves no half tar.
				if f, err = os.CreateTemp(filepath.Dir(output), ".rpod-export-*.tar"); err != nil {
					return fmt.Errorf("export %s: %w", c.Name, err)
				}
				defer os.Remove(f.Name())
				defer f.Close()
				out = f
			}
			if err := exportRootfs(out, dir); err != nil {
				return fmt.Errorf("export %s: %w", c.Name, err)
			}
			if f != nil {
				if err := f.Close(); err != nil {
					return fmt.Errorf("export %s: %w", c.Name, err)
				}
				if err := os.Rename(f.Name(), output); err != nil {
					return fmt.Errorf("export %s: %w", c.Name, err)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the tar to FILE instead of stdout")
	return cmd
}

// exportRootfs writes dir as an uncompressed tar with hard links, owners and modes kept.
func exportRootfs(w io.Writer, dir string) error {
	rc, err := archive.Tar(dir, archive.Uncompressed)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return err
}
