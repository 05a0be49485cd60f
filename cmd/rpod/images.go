package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func init() {
	register(newImagesCmd)
	registerImage(func() *cobra.Command {
		c := newImagesCmd()
		c.Use, c.Aliases = "list [flags]", []string{"ls"}
		return c
	})
}

func newImagesCmd() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "images [flags]",
		Short: "List images in local storage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			imgs, err := store.Images()
			if err != nil {
				return fmt.Errorf("list images: %w", err)
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			if !quiet {
				fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED")
			}
			for _, img := range imgs {
				if quiet {
					fmt.Fprintln(w, img.ID[:12])
					continue
				}
				names := img.Names
				if len(names) == 0 {
					names = []string{"<none>:<none>"}
				}
				for _, n := range names {
					repo, tag := n, "<none>"
					if i := strings.LastIndex(n, ":"); i > strings.LastIndex(n, "/") {
						repo, tag = n[:i], n[i+1:]
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s ago\n", repo, tag, img.ID[:12], since(img.Created))
				}
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only image ids")
	return cmd
}
