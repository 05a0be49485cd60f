package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/runtime"
)

func init() { register(newCpCmd); registerContainer(newCpCmd) }

func newCpCmd() *cobra.Command {
	var o runtime.CopyOptions
	cmd := &cobra.Command{
		Use:   "cp [flags] SRC DST",
		Short: "Copy files between a container and the host",
		Long: `Copy files between a container and the host. Exactly one of SRC and DST is
CONTAINER:PATH; the other is a host path, or - for a tar stream on stdin
(extracted into the container directory DST) or stdout (a tar of SRC).
Paths in the container resolve inside its root, symlinks included. Files
copied in belong to the container's root unless --archive keeps their owners;
files copied out belong to you.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, dst := parseCopyArg(args[0]), parseCopyArg(args[1])
			if (src.container == "") == (dst.container == "") {
				return errors.New("exactly one of SRC and DST must be CONTAINER:PATH: rpod cp copies between a container and the host")
			}
			name := src.container + dst.container
			c, err := openContainer(name)
			if err != nil {
				return err
			}
			root, err := c.Mount()
			if err != nil {
				return fmt.Errorf("cp %s: %w", c.Name, err)
			}
			defer c.Unmount()
			o.UserNS = c.Spec.UserNS
			switch {
			case dst.container != "" && src.path == "-":
				err = runtime.CopyInStream(root, os.Stdin, inContainer(c, dst.path), o)
			case dst.container != "":
				err = runtime.CopyIn(root, src.path, inContainer(c, dst.path), o)
			case dst.path == "-":
				err = runtime.CopyOutStream(root, inContainer(c, src.path), os.Stdout)
			default:
				err = runtime.CopyOut(root, inContainer(c, src.path), dst.path)
			}
			if err != nil {
				return fmt.Errorf("cp %s: %w", c.Name, err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&o.Archive, "archive", "a", false, "keep the source's owners (uid and gid) instead of giving the files to the destination's root")
	return cmd
}

// copyArg is one side of rpod cp: a host path, or a path in container.
type copyArg struct{ container, path string }

// parseCopyArg splits CONTAINER:PATH as podman does: a path that starts
// with / or . is the host's even when it holds a colon.
func parseCopyArg(s string) copyArg {
	if s == "" || s == "-" || strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return copyArg{path: s}
	}
	name, p, ok := strings.Cut(s, ":")
	if !ok || name == "" || strings.Contains(name, "/") {
		return copyArg{path: s}
	}
	if p == "" {
		p = "/"
	}
	return copyArg{container: name, path: p}
}

// inContainer makes a relative container path relative to the container's
// working directory, keeping a trailing "/" or "/." that changes its meaning.
func inContainer(c *runtime.Container, p string) string {
	if strings.HasPrefix(p, "/") || p == "-" {
		return p
	}
	cwd := c.Spec.Cwd
	if cwd == "" {
		cwd = "/"
	}
	return strings.TrimRight(cwd, "/") + "/" + p
}
