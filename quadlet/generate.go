package quadlet

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Options are what the generated units need to know about rpod.
type Options struct {
	// Rpod is the absolute path of the rpod binary the units run.
	Rpod string
}

// Link is a symlink the generator writes next to the units, as systemd
// generators express [Install]: Path is relative to the output directory.
type Link struct {
	Path, Target string
}

// Unit is one generated systemd unit.
type Unit struct {
	Name    string // foo.service
	Source  string // the Quadlet file it came from
	Content string
	Links   []Link
}

// WaitOnlineUnit makes user units wait for the system's network-online.target,
// which a user manager cannot order itself after (contrib/systemd ships it).
const WaitOnlineUnit = "rpod-user-wait-network-online.service"

// Kinds are the Quadlet file types rpod knows.
var Kinds = []string{".container", ".volume", ".network", ".image"}

// Generate converts the parsed files into units. A file with errors gives
// no unit; the others are still generated. Units come sorted by name.
func Generate(files []*UnitFile, opts Options) ([]Unit, []error) {
	g := &gen{opts: opts, byName: map[string]*UnitFile{}}
	for _, f := range files {
		g.byName[filepath.Base(f.Path)] = f
	}
	var units []Unit
	var errs []error
	for _, f := range files {
		var u *Unit
		var err error
		switch filepath.Ext(f.Path) {
		case ".container":
			u, err = g.container(f)
		case ".volume":
			u, err = g.volume(f)
		case ".image":
			u, err = g.image(f)
		case ".network":
			_, err = g.network(f)
		default:
			err = &Error{File: f.Path, Msg: fmt.Sprintf("unsupported Quadlet file type %q: rpod knows %s", filepath.Ext(f.Path), strings.Join(Kinds, ", "))}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if u != nil {
			units = append(units, *u)
		}
	}
	sort.Slice(units, func(i, j int) bool { return units[i].Name < units[j].Name })
	return units, errs
}

type gen struct {
	opts   Options
	byName map[string]*UnitFile
}

// ServiceName is the unit a Quadlet file becomes: foo.container is
// foo.service, foo.volume foo-volume.service, foo.image foo-image.service.
func ServiceName(file string) string {
	base := filepath.Base(file)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if ext == ".container" {
		return stem + ".service"
	}
	return stem + "-" + strings.TrimPrefix(ext, ".") + ".service"
}

// unitBuilder collects the output sections of one unit.
type unitBuilder struct {
	src      *UnitFile
	name     string
	unit     []Entry // added to [Unit]
	service  []Entry // added to [Service]
	defaults []Entry // [Service] entries the user's own [Service] overrides
	main     string  // the Quadlet section, written back as [X-Main]
}

func (b *unitBuilder) addUnit(k, v string)    { b.unit = append(b.unit, Entry{Key: k, Value: v}) }
func (b *unitBuilder) addService(k, v string) { b.service = append(b.service, Entry{Key: k, Value: v}) }
func (b *unitBuilder) addDefault(k, v string) {
	b.defaults = append(b.defaults, Entry{Key: k, Value: v})
}

// depend makes the unit require and start after another generated one.
func (b *unitBuilder) depend(service string) {
	for _, e := range b.unit {
		if e.Key == "Requires" && e.Value == service {
			return
		}
	}
	b.addUnit("Requires", service)
	b.addUnit("After", service)
}

// entries merges every section called name, as systemd does.
func entries(f *UnitFile, name string) []Entry {
	var out []Entry
	for _, s := range f.Sections {
		if s.Name == name {
			out = append(out, s.Entries...)
		}
	}
	return out
}

// checkSections refuses sections a Quadlet file of this kind cannot have.
func checkSections(f *UnitFile, main string) error {
	found := false
	for _, s := range f.Sections {
		switch {
		case s.Name == main:
			found = true
		case s.Name == "Unit" || s.Name == "Service" || s.Name == "Install" || s.Name == "Quadlet" || strings.HasPrefix(s.Name, "X-"):
		default:
			return &Error{f.Path, s.Line, fmt.Sprintf("unsupported section [%s] in a %s file", s.Name, filepath.Ext(f.Path))}
		}
	}
	if !found {
		return &Error{File: f.Path, Msg: fmt.Sprintf("no [%s] section", main)}
	}
	for _, e := range entries(f, "Quadlet") {
		if e.Key != "DefaultDependencies" {
			return unsupported(f, e, "Quadlet", "")
		}
		if _, err := parseBool(f, e); err != nil {
			return err
		}
	}
	return nil
}

// defaultDependencies is [Quadlet] DefaultDependencies= (true unless set).
func defaultDependencies(f *UnitFile) bool {
	v := true
	for _, e := range entries(f, "Quadlet") {
		v, _ = parseBool(f, e)
	}
	return v
}

func unsupported(f *UnitFile, e Entry, section, why string) error {
	msg := fmt.Sprintf("unsupported key %q in section [%s]", e.Key, section)
	if why != "" {
		msg += ": " + why
	}
	return &Error{f.Path, e.Line, msg}
}

func parseBool(f *UnitFile, e Entry) (bool, error) {
	switch strings.ToLower(e.Value) {
	case "1", "yes", "true", "on":
		return true, nil
	case "0", "no", "false", "off":
		return false, nil
	}
	return false, &Error{f.Path, e.Line, fmt.Sprintf("invalid boolean %q for %s=: use true or false", e.Value, e.Key)}
}

func words(f *UnitFile, e Entry) ([]string, error) {
	w, err := SplitWords(e.Value)
	if err != nil {
		return nil, &Error{f.Path, e.Line, fmt.Sprintf("%s=: %v", e.Key, err)}
	}
	return w, nil
}

// render writes the unit: the user's [Unit] plus ours, the Quadlet section
// renamed X-..., the user's [Service] plus ours, and the rest as written.
func (b *unitBuilder) render() (*Unit, error) {
	f := b.src
	var out strings.Builder
	out.WriteString("# Automatically generated by rpod-user-generator\n#\n")
	section := func(name string, es []Entry) {
		fmt.Fprintf(&out, "\n[%s]\n", name)
		for _, e := range es {
			fmt.Fprintf(&out, "%s=%s\n", e.Key, e.Value)
		}
	}
	unit := append(entries(f, "Unit"), b.unit...)
	unit = append(unit, Entry{Key: "SourcePath", Value: f.Path}, Entry{Key: "RequiresMountsFor", Value: "%t/rpod"})
	section("Unit", unit)
	section("X-"+b.main, entries(f, b.main))
	user := entries(f, "Service")
	has := map[string]bool{}
	for _, e := range user {
		has[e.Key] = true
		if e.Key == "ExecStart" {
			return nil, &Error{f.Path, e.Line, fmt.Sprintf("ExecStart= in [Service]: the generated unit has its own; use Exec= or RpodArgs= in [%s]", b.main)}
		}
	}
	svc := append([]Entry{}, user...)
	for _, e := range b.defaults {
		if !has[e.Key] {
			svc = append(svc, e)
		}
	}
	svc = append(svc, b.service...)
	section("Service", svc)
	seen := map[string]bool{"Unit": true, b.main: true, "Service": true, "Quadlet": true}
	for _, s := range f.Sections {
		if seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		section(s.Name, entries(f, s.Name))
	}
	links, err := installLinks(f, b.name)
	if err != nil {
		return nil, err
	}
	return &Unit{Name: b.name, Source: f.Path, Content: out.String(), Links: links}, nil
}

// installLinks turns [Install] into the symlinks systemctl enable would
// make, since a generated unit cannot be enabled.
func installLinks(f *UnitFile, name string) ([]Link, error) {
	var links []Link
	for _, e := range entries(f, "Install") {
		ws, err := words(f, e)
		if err != nil {
			return nil, err
		}
		suffix := ""
		switch e.Key {
		case "WantedBy":
			suffix = ".wants"
		case "RequiredBy":
			suffix = ".requires"
		case "UpheldBy":
			suffix = ".upholds"
		case "Alias":
			for _, w := range ws {
				links = append(links, Link{Path: w, Target: name})
			}
			continue
		default:
			continue // Also=, DefaultInstance= mean nothing for a generated unit
		}
		for _, w := range ws {
			if strings.Contains(w, "/") {
				return nil, &Error{f.Path, e.Line, fmt.Sprintf("invalid unit name %q in %s=", w, e.Key)}
			}
			links = append(links, Link{Path: w + suffix + "/" + name, Target: "../" + name})
		}
	}
	return links, nil
}
