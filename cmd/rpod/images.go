package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"text/template"
	"time"
	"unicode"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newImagesCmd)
	registerImage(func() *cobra.Command {
		c := newImagesCmd()
		c.Use, c.Aliases = "list [flags] [IMAGE]", []string{"ls"}
		return c
	}, newImageExistsCmd, newImageTreeCmd)
}

type imagesFlags struct {
	all, quiet, digests, noTrunc, noHeading bool
	filters                                 []string
	format, sort                            string
}

func newImagesCmd() *cobra.Command {
	var f imagesFlags
	cmd := &cobra.Command{
		Use:   "images [flags] [IMAGE]",
		Short: "List images in local storage",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listImages(cmd, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.all, "all", "a", false, "show all images, intermediate ones too")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only image ids")
	fl.BoolVar(&f.digests, "digests", false, "show image digests")
	fl.BoolVar(&f.noTrunc, "no-trunc", false, "do not truncate output")
	fl.BoolVarP(&f.noHeading, "noheading", "n", false, "do not print the column headings")
	stringArrayVar(fl, &f.filters, "filter", "f", "filter output: dangling=, reference=, before=, since=, label=, id=, containers=")
	fl.StringVar(&f.format, "format", "", "json, or a Go template such as \"table {{.ID}}\\t{{.Size}}\"")
	fl.StringVar(&f.sort, "sort", "created", "sort by created, id, repository, size or tag")
	return cmd
}

// imageRow is one line of `rpod images`: an image under one of its names.
// Its methods are the fields a --format template can use, as in podman.
type imageRow struct {
	s          image.Summary
	Repository string
	Tag        string
	noTrunc    bool
}

func (r imageRow) ID() string {
	if r.noTrunc {
		return "sha256:" + r.s.ID
	}
	return shortID(r.s.ID)
}
func (r imageRow) Digest() string            { return r.s.Digest }
func (r imageRow) Digests() []string         { return r.s.Digests }
func (r imageRow) Names() []string           { return r.s.Names }
func (r imageRow) Created() string           { return humanSince(r.s.Created) }
func (r imageRow) CreatedSince() string      { return humanSince(r.s.Created) }
func (r imageRow) CreatedAt() string         { return r.s.Created.String() }
func (r imageRow) CreatedTime() string       { return r.s.Created.String() }
func (r imageRow) Size() string              { return humanSize(r.s.Size) }
func (r imageRow) VirtualSize() string       { return humanSize(r.s.Size) }
func (r imageRow) Labels() map[string]string { return r.s.Labels }
func (r imageRow) History() string           { return strings.Join(r.s.NamesHistory, ", ") }
func (r imageRow) Dangling() bool            { return r.s.Dangling }
func (r imageRow) ReadOnly() bool            { return r.s.ReadOnly }
func (r imageRow) Containers() int           { return r.s.Containers }
func (r imageRow) RepoTags() []string        { return r.s.Names }
func (r imageRow) RepoDigests() []string     { return repoDigests(r.s.Names, r.s.Digests) }

// imageHeaders are podman's column titles where they differ from the field name in capitals.
var imageHeaders = map[string]string{"ID": "IMAGE ID", "CreatedSince": "CREATED", "ReadOnly": "R/O"}

func listImages(cmd *cobra.Command, f *imagesFlags, args []string) error {
	filter, err := image.ParseFilters(f.filters)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		filter.References = append(filter.References, args[0])
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	needLabels := len(filter.Labels) > 0 || f.format == "json" || strings.Contains(f.format, "Labels")
	sums, err := image.List(cmd.Context(), store, image.ListOptions{Labels: needLabels})
	if err != nil {
		return err
	}
	users, err := imageUsers(store)
	if err != nil {
		return err
	}
	err = filter.Resolve(func(name string) (time.Time, error) {
		img, err := lookupImage(store, name)
		if err != nil {
			return time.Time{}, err
		}
		return img.Created, nil
	})
	if err != nil {
		return err
	}
	var kept []image.Summary
	for _, s := range sums {
		s.Containers = len(users[s.ID])
		if !f.all && s.Intermediate && filter.Intermediate == nil {
			continue
		}
		if filter.Match(s) {
			kept = append(kept, s)
		}
	}
	if f.format == "json" {
		return writeImagesJSON(os.Stdout, kept)
	}
	rows, err := imageRows(kept, f)
	if err != nil {
		return err
	}
	if f.quiet {
		seen := map[string]bool{}
		for _, r := range rows {
			if !seen[r.ID()] {
				seen[r.ID()] = true
				fmt.Println(r.ID())
			}
		}
		return nil
	}
	format := f.format
	if format == "" {
		format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
		if f.digests {
			format = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}"
		}
	}
	items := make([]any, len(rows))
	for i, r := range rows {
		items[i] = r
	}
	return printTable(os.Stdout, format, imageHeaders, items, f.noHeading)
}

// imageRows gives one row per name (one "<none>" row for an untagged
// image), sorted as --sort says.
func imageRows(sums []image.Summary, f *imagesFlags) ([]imageRow, error) {
	var rows []imageRow
	for _, s := range sums {
		var tagged, untagged []imageRow
		for _, n := range s.Names {
			repo, tag := image.SplitName(n)
			r := imageRow{s: s, Repository: repo, Tag: tag, noTrunc: f.noTrunc}
			if tag == "<none>" {
				untagged = append(untagged, r)
			} else {
				tagged = append(tagged, r)
			}
		}
		switch {
		case len(tagged) > 0:
			rows = append(rows, tagged...)
		case len(untagged) > 0:
			rows = append(rows, untagged[0])
		default:
			rows = append(rows, imageRow{s: s, Repository: "<none>", Tag: "<none>", noTrunc: f.noTrunc})
		}
	}
	var less func(a, b imageRow) bool
	switch f.sort {
	case "created", "":
		less = func(a, b imageRow) bool { return a.s.Created.After(b.s.Created) }
	case "id":
		less = func(a, b imageRow) bool { return a.s.ID < b.s.ID }
	case "repository":
		less = func(a, b imageRow) bool {
			if a.Repository != b.Repository {
				return a.Repository < b.Repository
			}
			return a.Tag < b.Tag
		}
	case "size":
		less = func(a, b imageRow) bool { return a.s.Size < b.s.Size }
	case "tag":
		less = func(a, b imageRow) bool {
			if a.Tag != b.Tag {
				return a.Tag < b.Tag
			}
			return a.Repository < b.Repository
		}
	default:
		return nil, fmt.Errorf("invalid --sort %q: use created, id, repository, size or tag", f.sort)
	}
	sort.SliceStable(rows, func(i, j int) bool { return less(rows[i], rows[j]) })
	return rows, nil
}

// imageJSON is podman's `images --format json` element.
type imageJSON struct {
	ID          string            `json:"Id"`
	ParentID    string            `json:"ParentId"`
	RepoTags    []string          `json:"RepoTags"`
	RepoDigests []string          `json:"RepoDigests"`
	Created     int64             `json:"Created"`
	Size        int64             `json:"Size"`
	SharedSize  int               `json:"SharedSize"`
	VirtualSize int64             `json:"VirtualSize"`
	Labels      map[string]string `json:"Labels"`
	Containers  int               `json:"Containers"`
	ReadOnly    bool              `json:"ReadOnly,omitempty"`
	Dangling    bool              `json:"Dangling,omitempty"`
	Names       []string          `json:"Names,omitempty"`
	Digest      string            `json:"Digest,omitempty"`
	History     []string          `json:"History,omitempty"`
	CreatedAt   string            `json:"CreatedAt"`
}

func writeImagesJSON(w io.Writer, sums []image.Summary) error {
	out := make([]imageJSON, 0, len(sums))
	for _, s := range sums {
		out = append(out, imageJSON{
			ID: s.ID, RepoDigests: repoDigests(s.Names, s.Digests), Created: s.Created.Unix(),
			Size: s.Size, VirtualSize: s.Size, Labels: s.Labels, Containers: s.Containers,
			ReadOnly: s.ReadOnly, Dangling: s.Dangling, Names: s.Names, Digest: s.Digest,
			History: s.NamesHistory, CreatedAt: s.Created.UTC().Format(time.RFC3339Nano),
		})
	}
	return writeJSON(w, out)
}

// repoDigests is repo@digest for each name and digest, as podman's RepoDigests.
func repoDigests(names, digests []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, n := range names {
		repo, _ := image.SplitName(n)
		for _, d := range digests {
			rd := repo + "@" + d
			if !seen[rd] {
				seen[rd] = true
				out = append(out, rd)
			}
		}
	}
	return out
}

// writeJSON indents as podman does.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// imageUsers maps an image id to the containers created from it.
func imageUsers(store cstorage.Store) (map[string][]*runtime.Container, error) {
	cs, err := runtime.List(store)
	if err != nil {
		return nil, err
	}
	m := map[string][]*runtime.Container{}
	for _, c := range cs {
		m[c.ImageID] = append(m[c.ImageID], c)
	}
	return m, nil
}

// humanSize prints a size as podman does: "1.23 MB".
func humanSize(n int64) string {
	s := units.HumanSizeWithPrecision(float64(n), 3)
	i := strings.LastIndexFunc(s, unicode.IsDigit)
	return s[:i+1] + " " + s[i+1:]
}

func humanSince(t time.Time) string {
	return units.HumanDuration(time.Since(t)) + " ago"
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"join":  strings.Join,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"split": strings.Split,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"truncate": func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	},
}

// parseFormat parses a --format Go template; "table " in front asks for a header line.
func parseFormat(format string) (t *template.Template, table bool, body string, err error) {
	body = strings.ReplaceAll(format, `\t`, "\t")
	body = strings.ReplaceAll(body, `\n`, "\n")
	if rest, ok := strings.CutPrefix(body, "table"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
		table, body = true, strings.TrimLeft(rest, " \t")
	}
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	t, err = template.New("format").Funcs(templateFuncs).Parse(body)
	if err != nil {
		return nil, false, "", fmt.Errorf("invalid --format template: %w", err)
	}
	return t, table, body, nil
}

// headerRE: headerLine's expressions, compiled at first use: a
// package-level regexp costs every start of rpod.
var headerRE = sync.OnceValue(func() (re struct{ action, field, camel *regexp.Regexp }) {
	re.action = regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`)
	re.field = regexp.MustCompile(`\.([A-Za-z][A-Za-z0-9]*)`)
	re.camel = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	return re
})

// headerLine turns a template into its column titles: each action becomes
// its field's name in capitals (split at words), or the override.
func headerLine(body string, overrides map[string]string) string {
	re := headerRE()
	return re.action.ReplaceAllStringFunc(body, func(a string) string {
		m := re.field.FindStringSubmatch(a)
		if m == nil {
			return ""
		}
		if h, ok := overrides[m[1]]; ok {
			return h
		}
		return strings.ToUpper(re.camel.ReplaceAllString(m[1], "$1 $2"))
	})
}

// printTable executes format for each item through a tabwriter laid out as podman's.
func printTable(w io.Writer, format string, headers map[string]string, items []any, noHeading bool) error {
	t, table, body, err := parseFormat(format)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 12, 2, 2, ' ', 0)
	if table && !noHeading {
		fmt.Fprint(tw, headerLine(body, headers))
	}
	for _, it := range items {
		if err := t.Execute(tw, it); err != nil {
			return fmt.Errorf("--format template: %w", err)
		}
	}
	return tw.Flush()
}

func newImageExistsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exists IMAGE",
		Short: "Exit 0 if the image is in local storage, 1 if not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			if _, _, err := image.Resolve(store, image.SystemContext(), args[0]); err != nil {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

func newImageTreeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tree IMAGE",
		Short: "Print the layers of an image as a tree",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, img, err := openImage(args[0])
			if err != nil {
				return err
			}
			return printTree(os.Stdout, store, img)
		},
	}
}

// printTree prints podman's `image tree`: the image, then its layers from
// the base up, each naming the images it is the top layer of.
func printTree(w io.Writer, store cstorage.Store, img *cstorage.Image) error {
	chain, err := image.Layers(store, img)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Image ID: %s\n", shortID(img.ID))
	fmt.Fprintf(w, "Tags:     %s\n", fmt.Sprint(nonNil(img.Names)))
	fmt.Fprintf(w, "Size:     %s\n", units.HumanSizeWithPrecision(float64(image.Size(store, img)), 4))
	if len(chain) == 0 {
		fmt.Fprintln(w, "No Image Layers")
		return nil
	}
	fmt.Fprintln(w, "Image Layers")
	for i, l := range chain {
		branch := "├── "
		if i == len(chain)-1 {
			branch = "└── "
		}
		line := fmt.Sprintf("%s ID: %s Size: %7v", branch, shortID(l.ID), units.HumanSizeWithPrecision(float64(l.UncompressedSize), 4))
		tops, _ := store.ImagesByTopLayer(l.ID)
		var names []string
		for _, t := range tops {
			if len(t.Names) == 0 {
				names = append(names, "<none>")
			}
			names = append(names, t.Names...)
		}
		if len(names) > 0 {
			sort.Strings(names)
			line += " Top Layer of: [" + strings.Join(names, " ") + "]"
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// lookupImage finds a local image, naming it in podman's words when absent.
// openImage opens the store and finds the image a command names.
func openImage(name string) (cstorage.Store, *cstorage.Image, error) {
	store, err := openStore()
	if err != nil {
		return nil, nil, err
	}
	img, err := lookupImage(store, name)
	return store, img, err
}

func lookupImage(store cstorage.Store, name string) (*cstorage.Image, error) {
	img, _, err := image.Resolve(store, image.SystemContext(), name)
	if errors.Is(err, image.ErrNotFound) {
		return nil, fmt.Errorf("%s: image not known", name)
	}
	return img, err
}
