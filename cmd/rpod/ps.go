package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/netslirp"
	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newPsCmd)
	registerContainer(func() *cobra.Command {
		c := newPsCmd()
		c.Use, c.Aliases = "ps [flags]", []string{"ls", "list"}
		return c
	})
}

type psFlags struct {
	all, quiet, latest, noTrunc, size, noHeading bool
	last                                         int
	filters                                      []string
	format, sort                                 string
}

func newPsCmd() *cobra.Command {
	var f psFlags
	cmd := &cobra.Command{
		Use:     "ps [flags]",
		Aliases: []string{"list", "ls"},
		Short:   "List containers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return listContainers(&f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.all, "all", "a", false, "show all containers, not only running ones")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only container ids")
	fl.BoolVarP(&f.latest, "latest", "l", false, "show only the latest created container (in any state)")
	fl.IntVarP(&f.last, "last", "n", -1, "show only the N last created containers (in any state)")
	fl.BoolVar(&f.noTrunc, "no-trunc", false, "do not truncate ids and commands")
	fl.BoolVar(&f.noHeading, "noheading", false, "do not print the column headings")
	fl.BoolVarP(&f.size, "size", "s", false, "show the size of each container's writable layer")
	stringArrayVar(fl, &f.filters, "filter", "f", "filter output: status=, name=, id=, ancestor=, exited=, label=, restart-policy=")
	fl.StringVar(&f.format, "format", "", "json, or a Go template such as \"table {{.ID}}\\t{{.Names}}\"")
	fl.StringVar(&f.sort, "sort", "created", "sort by command, created, id, image, names, runningfor, size or status")
	return cmd
}

// psRow is one line of `rpod ps`; its methods are the fields a --format
// template can use, as podman's.
type psRow struct {
	c        *runtime.Container
	st       runtime.State
	image    string
	noTrunc  bool
	rw, root int64
}

func (r psRow) ID() string {
	if r.noTrunc {
		return r.c.ID
	}
	return r.c.ID[:12]
}
func (r psRow) Image() string   { return r.image }
func (r psRow) ImageID() string { return r.c.ImageID }
func (r psRow) Command() string {
	s := strings.Join(r.c.Spec.Args, " ")
	if !r.noTrunc && len(s) > 17 {
		return s[:17] + "..."
	}
	return s
}
func (r psRow) Created() string      { return humanSince(r.c.Created) }
func (r psRow) CreatedHuman() string { return humanSince(r.c.Created) }
func (r psRow) CreatedAt() string    { return r.c.Created.String() }
func (r psRow) RunningFor() string   { return humanSince(r.c.Created) }
func (r psRow) Status() string       { return psStatus(r.st) + healthSuffix(r.c, r.st) }
func (r psRow) State() string        { return r.st.ShownStatus() } // podman's: running, exited..., as in --format json
func (r psRow) Names() string        { return r.c.Name }
func (r psRow) Ports() string {
	cfg, err := loadNetwork(r.c)
	if err != nil {
		return ""
	}
	var known []netslirp.PortMapping
	for _, p := range cfg.Ports {
		if p.HostPort != 0 { // a random port not chosen yet: at its first start
			known = append(known, p)
		}
	}
	return netslirp.FormatPorts(known)
}
func (r psRow) Pid() int                  { return r.st.Pid }
func (r psRow) ExitCode() int             { return r.st.ExitCode }
func (r psRow) Exited() bool              { return r.st.Status == "exited" }
func (r psRow) AutoRemove() bool          { return r.c.AutoRemove }
func (r psRow) Labels() map[string]string { return nonNilMap(r.c.Labels) }
func (r psRow) Size() string {
	return units.HumanSizeWithPrecision(float64(r.rw), 3) + " (virtual " + units.HumanSizeWithPrecision(float64(r.root), 3) + ")"
}

// psStatus is podman's STATUS column: "Up 3 seconds", "Exited (0) 2 seconds ago", "Created".
func psStatus(s runtime.State) string {
	switch s.ShownStatus() {
	case "paused":
		return "Paused"
	case "running":
		return "Up " + units.HumanDuration(time.Since(s.StartedAt))
	case "exited":
		if s.FinishedAt.IsZero() { // its owner died with it: when is not known
			return fmt.Sprintf("Exited (%d)", s.ExitCode)
		}
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, units.HumanDuration(time.Since(s.FinishedAt)))
	case "":
		return "Unknown"
	}
	return strings.ToUpper(s.Status[:1]) + s.Status[1:]
}

var psHeaders = map[string]string{"ID": "CONTAINER ID", "CreatedHuman": "CREATED", "RunningFor": "CREATED", "ImageID": "IMAGE ID"}

func listContainers(f *psFlags) error {
	if f.quiet && f.format != "" {
		return fmt.Errorf("--quiet and --format cannot be used together: drop one")
	}
	filter, err := runtime.ParseFilter(f.filters)
	if err != nil {
		return err
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	cs, damaged, err := runtime.Scan(store)
	if err != nil {
		return err
	}
	for _, d := range damaged {
		fmt.Fprintf(os.Stderr, "WARN[0000] %v\n", d)
	}
	all := f.all || f.latest || f.last >= 0
	names := imageNamer(store)
	var rows []psRow
	for _, c := range cs {
		// A killed owner's mount is given back by the next command that looks (runtime/starting.go).
		c.ReapDead()
		st := c.State()
		if !all && st.Status != "running" {
			continue
		}
		if !filter.Match(c, st) {
			continue
		}
		r := psRow{c: c, st: st, image: names(c), noTrunc: f.noTrunc}
		if f.size || f.sort == "size" {
			r.rw, r.root = containerSize(store, c)
		}
		rows = append(rows, r)
	}
	// -l and -n count the latest created, whatever --sort says.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].c.Created.After(rows[j].c.Created) })
	if f.latest && (f.last < 0 || f.last > 1) {
		f.last = 1
	}
	if f.last >= 0 && len(rows) > f.last {
		rows = rows[:f.last]
	}
	if err := sortRows(rows, f.sort); err != nil {
		return err
	}
	if f.quiet {
		for _, r := range rows {
			fmt.Println(r.ID())
		}
		return nil
	}
	if f.format == "json" {
		return writePsJSON(os.Stdout, rows, f.size)
	}
	format := f.format
	if format == "" {
		format = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
		if f.size {
			format += "\t{{.Size}}"
		}
	}
	items := make([]any, len(rows))
	for i, r := range rows {
		items[i] = r
	}
	return printTable(os.Stdout, format, psHeaders, items, f.noHeading)
}

func sortRows(rows []psRow, key string) error {
	var less func(a, b psRow) bool
	switch key {
	case "created", "runningfor", "":
		return nil // already newest first
	case "command":
		less = func(a, b psRow) bool { return strings.Join(a.c.Spec.Args, " ") < strings.Join(b.c.Spec.Args, " ") }
	case "id":
		less = func(a, b psRow) bool { return a.c.ID < b.c.ID }
	case "image":
		less = func(a, b psRow) bool { return a.image < b.image }
	case "names":
		less = func(a, b psRow) bool { return a.c.Name < b.c.Name }
	case "size":
		less = func(a, b psRow) bool { return a.rw < b.rw }
	case "status":
		less = func(a, b psRow) bool { return a.st.Status < b.st.Status }
	default:
		return fmt.Errorf("invalid --sort %q: use command, created, id, image, names, runningfor, size or status", key)
	}
	sort.SliceStable(rows, func(i, j int) bool { return less(rows[i], rows[j]) })
	return nil
}

// imageNamer gives the full name of a container's image, as podman shows
// it, falling back to the name it was created with.
func imageNamer(store cstorage.Store) func(*runtime.Container) string {
	cache := map[string][]string{}
	return func(c *runtime.Container) string {
		ns, ok := cache[c.ImageID]
		if !ok {
			if img, err := store.Image(c.ImageID); err == nil {
				ns = img.Names
			}
			cache[c.ImageID] = ns
		}
		for _, n := range ns {
			if n == c.Image || strings.HasSuffix(n, "/"+c.Image) || strings.HasSuffix(n, "/"+c.Image+":latest") {
				return n
			}
		}
		if len(ns) > 0 && !strings.HasPrefix(c.ImageID, c.Image) {
			return ns[0]
		}
		return c.Image
	}
}

// containerSize is the writable layer's size, from the container's own
// store, and that plus the image's, from the main one.
func containerSize(store cstorage.Store, c *runtime.Container) (rw, root int64) {
	if own, err := c.Store(); err == nil {
		rw, _ = own.ContainerSize(c.ID)
		c.Release() // ps may go through many containers
	}
	if img, err := store.Image(c.ImageID); err == nil {
		root = image.Size(store, img)
	}
	return rw, rw + root
}

// psJSON is podman's `ps --format json` element, for the fields rpod has.
type psJSON struct {
	AutoRemove bool              `json:"AutoRemove"`
	Command    []string          `json:"Command"`
	CreatedAt  string            `json:"CreatedAt"`
	Exited     bool              `json:"Exited"`
	ExitedAt   int64             `json:"ExitedAt"`
	ExitCode   int               `json:"ExitCode"`
	ID         string            `json:"Id"`
	Image      string            `json:"Image"`
	ImageID    string            `json:"ImageID"`
	IsInfra    bool              `json:"IsInfra"`
	Labels     map[string]string `json:"Labels"`
	Mounts     []string          `json:"Mounts"`
	Names      []string          `json:"Names"`
	Namespaces struct{}          `json:"Namespaces"`
	Networks   []string          `json:"Networks"`
	Pid        int               `json:"Pid"`
	Pod        string            `json:"Pod"`
	PodName    string            `json:"PodName"`
	Ports      []psPort          `json:"Ports"`
	Restarts   int               `json:"Restarts"`
	Size       *psSize           `json:"Size,omitempty"`
	StartedAt  int64             `json:"StartedAt"`
	State      string            `json:"State"`
	Status     string            `json:"Status"`
	Created    int64             `json:"Created"`
}

// psPort is one published port in podman's ps JSON.
type psPort struct {
	HostIP        string `json:"host_ip"`
	ContainerPort uint16 `json:"container_port"`
	HostPort      uint16 `json:"host_port"`
	Range         uint16 `json:"range"`
	Protocol      string `json:"protocol"`
}

type psSize struct {
	RootFsSize int64 `json:"rootFsSize"`
	RwSize     int64 `json:"rwSize"`
}

func writePsJSON(w io.Writer, rows []psRow, size bool) error {
	out := make([]psJSON, 0, len(rows))
	for _, r := range rows {
		j := psJSON{
			AutoRemove: r.c.AutoRemove, Command: nonNil(r.c.Spec.Args), CreatedAt: humanSince(r.c.Created),
			Exited: r.st.Status == "exited", ExitCode: r.st.ExitCode, ID: r.c.ID, Image: r.image,
			ImageID: r.c.ImageID, Labels: nonNilMap(r.c.Labels), Mounts: []string{}, Names: []string{r.c.Name},
			Networks: []string{}, Pid: r.st.Pid, Ports: []psPort{}, State: r.st.ShownStatus(), Status: r.Status(),
			Created: r.c.Created.Unix(),
		}
		if !r.st.FinishedAt.IsZero() {
			j.ExitedAt = r.st.FinishedAt.Unix()
		}
		if cfg, err := loadNetwork(r.c); err == nil {
			for _, p := range cfg.Ports {
				j.Ports = append(j.Ports, psPort{HostIP: p.HostIP, ContainerPort: p.ContainerPort, HostPort: p.HostPort, Range: 1, Protocol: p.Protocol})
			}
		}
		if !r.st.StartedAt.IsZero() {
			j.StartedAt = r.st.StartedAt.Unix()
		}
		if size {
			j.Size = &psSize{RootFsSize: r.root, RwSize: r.rw}
		}
		out = append(out, j)
	}
	return writeJSON(w, out)
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
