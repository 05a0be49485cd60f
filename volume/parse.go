// Package volume holds rpod's named volumes, stored as podman lays them out
// (<graphroot>/volumes/NAME/_data), and the parsers of -v, --mount and --tmpfs.
package volume

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Spec is one parsed -v, --mount or --tmpfs argument.
type Spec struct {
	Type        string // "bind", "volume" or "tmpfs"
	Source      string // host path, volume name, or empty for an anonymous volume
	Destination string
	ReadOnly    bool
	// Chown asks for the source to be chowned to the container's user (U).
	Chown bool
	// Flags are mount flags by name (nosuid, nodev, noexec).
	Flags []string
	// Data is a tmpfs's mount data: size=, mode= and the like.
	Data string
}

// nameRE and sizeRE are compiled at first use: a package-level regexp
// costs every start of rpod.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// ValidName reports whether name is a valid volume name, as podman's.
func ValidName(name string) bool { return nameRE().MatchString(name) }

func isPath(src string) bool { return strings.HasPrefix(src, "/") || strings.HasPrefix(src, ".") }

func checkDest(dst string) error {
	if dst == "" {
		return fmt.Errorf("no destination given: a mount needs a container path")
	}
	if !filepath.IsAbs(dst) {
		return fmt.Errorf("invalid container path %q, must be an absolute path", dst)
	}
	return nil
}

func checkSource(s *Spec) error {
	if s.Source == "" || isPath(s.Source) {
		return nil
	}
	if !ValidName(s.Source) {
		return fmt.Errorf("invalid volume name %q: names are [a-zA-Z0-9][a-zA-Z0-9_.-]*; a host path must start with / or .", s.Source)
	}
	return nil
}

// ParseVolume parses -v SRC:DST[:OPTS] (or DST alone, an anonymous volume).
// SRC is a host path when it starts with / or ., else a volume name.
func ParseVolume(arg string) (Spec, error) {
	parts := strings.Split(arg, ":")
	var s Spec
	var opts string
	switch len(parts) {
	case 1:
		s.Destination = parts[0]
	case 2:
		s.Source, s.Destination = parts[0], parts[1]
	case 3:
		s.Source, s.Destination, opts = parts[0], parts[1], parts[2]
	default:
		return Spec{}, fmt.Errorf("invalid volume %q: use SRC:DST[:OPTIONS]", arg)
	}
	if len(parts) > 1 && s.Source == "" {
		return Spec{}, fmt.Errorf("invalid volume %q: the source is empty", arg)
	}
	s.Type = "volume"
	if isPath(s.Source) {
		s.Type = "bind"
	}
	if err := checkDest(s.Destination); err != nil {
		return Spec{}, err
	}
	if err := checkSource(&s); err != nil {
		return Spec{}, err
	}
	rwSet := false
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "":
			if opts != "" {
				return Spec{}, fmt.Errorf("invalid volume %q: empty option", arg)
			}
		case "ro", "rw":
			if rwSet {
				return Spec{}, fmt.Errorf("invalid volume %q: cannot set ro or rw options more than once", arg)
			}
			rwSet, s.ReadOnly = true, o == "ro"
		case "z", "Z":
			// SELinux relabeling: accepted, there is no SELinux here.
		case "U":
			s.Chown = true
		case "nosuid", "nodev", "noexec":
			s.Flags = append(s.Flags, o)
		case "suid", "dev", "exec", "bind", "rbind", "private", "rprivate":
			// The defaults already.
		default:
			return Spec{}, fmt.Errorf("invalid option %q in volume %q: use ro, rw, z, Z, U", o, arg)
		}
	}
	return s, nil
}

var sizeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+[kmgKMG%]?$`) })

func checkMode(m string) error {
	n, err := strconv.ParseUint(m, 8, 32)
	if err != nil || n > 0o7777 {
		return fmt.Errorf("invalid tmpfs mode %q: give octal permissions such as 1777", m)
	}
	return nil
}

func boolValue(k, v string, hasValue bool) (bool, error) {
	if !hasValue {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("invalid value %q for %s: use true or false", v, k)
	}
	return b, nil
}

// ParseMount parses --mount type=bind|volume|tmpfs,source=,destination=,...
func ParseMount(arg string) (Spec, error) {
	var s Spec
	var data []string
	srcSet := false
	for _, field := range strings.Split(arg, ",") {
		k, v, hasValue := strings.Cut(field, "=")
		var err error
		switch strings.ToLower(k) {
		case "type":
			s.Type = v
		case "source", "src":
			s.Source, srcSet = v, true
		case "destination", "target", "dst":
			s.Destination = v
		case "ro", "readonly":
			s.ReadOnly, err = boolValue(k, v, hasValue)
		case "rw":
			var rw bool
			rw, err = boolValue(k, v, hasValue)
			s.ReadOnly = !rw
		case "u", "chown":
			s.Chown, err = boolValue(k, v, hasValue)
		case "z", "relabel", "bind-propagation", "consistency":
			// Accepted: no SELinux here, and every mount is private.
		case "tmpfs-size":
			if !sizeRE().MatchString(v) {
				return Spec{}, fmt.Errorf("invalid tmpfs-size %q in --mount %q: give bytes, or a number with k, m or g", v, arg)
			}
			data = append(data, "size="+v)
		case "tmpfs-mode":
			if err := checkMode(v); err != nil {
				return Spec{}, err
			}
			data = append(data, "mode="+v)
		case "":
			return Spec{}, fmt.Errorf("invalid --mount %q: empty option", arg)
		default:
			return Spec{}, fmt.Errorf("invalid option %q in --mount %q", k, arg)
		}
		if err != nil {
			return Spec{}, err
		}
	}
	switch s.Type {
	case "bind":
		if s.Source == "" {
			return Spec{}, fmt.Errorf("invalid --mount %q: a bind mount needs source=HOST-PATH", arg)
		}
		if !isPath(s.Source) {
			s.Source = "./" + s.Source
		}
	case "volume":
		if srcSet && s.Source != "" && (isPath(s.Source) || !ValidName(s.Source)) {
			return Spec{}, fmt.Errorf("invalid volume name %q in --mount: names are [a-zA-Z0-9][a-zA-Z0-9_.-]*", s.Source)
		}
	case "tmpfs":
		if s.Source != "" {
			return Spec{}, fmt.Errorf("invalid --mount %q: a tmpfs has no source", arg)
		}
		s.Flags = []string{"nosuid", "nodev"}
	case "":
		return Spec{}, fmt.Errorf("invalid --mount %q: type= is required (bind, volume or tmpfs)", arg)
	default:
		return Spec{}, fmt.Errorf("invalid mount type %q: use bind, volume or tmpfs", s.Type)
	}
	if len(data) > 0 && s.Type != "tmpfs" {
		return Spec{}, fmt.Errorf("invalid --mount %q: tmpfs-size and tmpfs-mode are for type=tmpfs", arg)
	}
	s.Data = strings.Join(data, ",")
	if err := checkDest(s.Destination); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// ParseTmpfs parses --tmpfs /dst[:opts], with podman's defaults
// rw,noexec,nosuid,nodev.
func ParseTmpfs(arg string) (Spec, error) {
	dst, opts, _ := strings.Cut(arg, ":")
	if err := checkDest(dst); err != nil {
		return Spec{}, err
	}
	s := Spec{Type: "tmpfs", Destination: dst}
	flags := map[string]bool{"noexec": true, "nosuid": true, "nodev": true}
	var data []string
	for _, o := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "":
			if opts != "" {
				return Spec{}, fmt.Errorf("invalid --tmpfs %q: empty option", arg)
			}
		case "ro", "rw":
			s.ReadOnly = k == "ro"
		case "noexec", "nosuid", "nodev":
			flags[k] = true
		case "exec", "suid", "dev":
			flags["no"+k] = false
		case "size":
			if !sizeRE().MatchString(v) {
				return Spec{}, fmt.Errorf("invalid tmpfs size %q in --tmpfs %q", v, arg)
			}
			data = append(data, o)
		case "mode":
			if err := checkMode(v); err != nil {
				return Spec{}, err
			}
			data = append(data, o)
		case "nr_inodes", "uid", "gid":
			if _, err := strconv.ParseUint(v, 10, 64); err != nil {
				return Spec{}, fmt.Errorf("invalid %s %q in --tmpfs %q", k, v, arg)
			}
			data = append(data, o)
		case "tmpcopyup", "notmpcopyup", "rprivate", "private":
		default:
			return Spec{}, fmt.Errorf("invalid option %q in --tmpfs %q", o, arg)
		}
	}
	for _, f := range []string{"nosuid", "nodev", "noexec"} {
		if flags[f] {
			s.Flags = append(s.Flags, f)
		}
	}
	s.Data = strings.Join(data, ",")
	return s, nil
}
