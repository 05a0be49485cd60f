package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.podman.io/storage/pkg/archive"
)

func init() { register(newDiffCmd); registerContainer(newDiffCmd) }

func newDiffCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff [flags] CONTAINER",
		Short: "List the files a container added (A), changed (C) and deleted (D)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "" && format != "json" {
				return fmt.Errorf("unknown --format %q: use json, or no --format for A/C/D lines", format)
			}
			c, err := openContainer(args[0])
			if err != nil {
				return err
			}
			changes, err := c.Changes()
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(os.Stdout, changesByKind(changes))
			}
			for _, ch := range changes {
				fmt.Println(ch.String())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "json for podman's {\"changed\",\"added\",\"deleted\"} object")
	return cmd
}

// changesJSON is podman diff --format json.
type changesJSON struct {
	Changed []string `json:"changed,omitempty"`
	Added   []string `json:"added,omitempty"`
	Deleted []string `json:"deleted,omitempty"`
}

func changesByKind(changes []archive.Change) changesJSON {
	var out changesJSON
	for _, ch := range changes {
		switch ch.Kind {
		case archive.ChangeModify:
			out.Changed = append(out.Changed, ch.Path)
		case archive.ChangeAdd:
			out.Added = append(out.Added, ch.Path)
		case archive.ChangeDelete:
			out.Deleted = append(out.Deleted, ch.Path)
		}
	}
	return out
}
