package main

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
)

func init() {
	register(newHistoryCmd)
	registerImage(newHistoryCmd)
}

// historyRow is one line of `rpod history`; its methods are podman's template fields.
type historyRow struct {
	e              image.HistoryEntry
	noTrunc, human bool
}

func (r historyRow) ID() string {
	if r.e.ID == "<missing>" || r.noTrunc {
		return r.e.ID
	}
	return shortID(r.e.ID)
}
func (r historyRow) Created() string {
	if !r.human {
		return r.CreatedAt()
	}
	return humanSince(r.e.Created)
}
func (r historyRow) CreatedSince() string { return humanSince(r.e.Created) }
func (r historyRow) CreatedAt() string    { return r.e.Created.Format(time.RFC3339) }
func (r historyRow) Size() string {
	if !r.human {
		return strconv.FormatInt(r.e.Size, 10)
	}
	return humanSize(r.e.Size)
}
func (r historyRow) Comment() string { return r.e.Comment }
func (r historyRow) Tags() []string  { return r.e.Tags }
func (r historyRow) CreatedBy() string {
	s := strings.Join(strings.Fields(r.e.CreatedBy), " ")
	if !r.noTrunc && len(s) > 45 {
		return s[:42] + "..."
	}
	return s
}

// historyJSON is podman's `history --format json` element.
type historyJSON struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"CreatedBy,omitempty"`
	Size      int64     `json:"size"`
	Comment   string    `json:"comment,omitempty"`
	Tags      []string  `json:"tags,omitempty"`
}

func newHistoryCmd() *cobra.Command {
	var noTrunc, quiet, human bool
	var format string
	cmd := &cobra.Command{
		Use:   "history [flags] IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, img, err := openImage(args[0])
			if err != nil {
				return err
			}
			entries, err := image.History(cmd.Context(), store, img)
			if err != nil {
				return err
			}
			if format == "json" {
				out := make([]historyJSON, 0, len(entries))
				for _, e := range entries {
					out = append(out, historyJSON{ID: e.ID, Created: e.Created, CreatedBy: e.CreatedBy, Size: e.Size, Comment: e.Comment, Tags: e.Tags})
				}
				return writeJSON(os.Stdout, out)
			}
			switch {
			case quiet:
				format = "{{.ID}}"
			case format == "":
				format = "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
			}
			items := make([]any, len(entries))
			for i, e := range entries {
				items[i] = historyRow{e: e, noTrunc: noTrunc, human: human}
			}
			return printTable(os.Stdout, format, map[string]string{"CreatedSince": "CREATED"}, items, false)
		},
	}
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "do not truncate ids and commands")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the ids")
	cmd.Flags().BoolVarP(&human, "human", "H", true, "human-readable sizes and dates")
	cmd.Flags().StringVar(&format, "format", "", "json, or a Go template such as \"table {{.ID}}\\t{{.CreatedBy}}\"")
	return cmd
}
