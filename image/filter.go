package image

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// Filter is a parsed set of `--filter key=value` options for images.
// Different keys must all match; repeated reference and id values match
// when any one does, repeated labels must all match (podman's rules).
type Filter struct {
	Dangling     *bool
	Intermediate *bool
	Containers   *bool
	ReadOnly     *bool
	References   []string
	IDs          []string
	Labels       []LabelFilter
	// Before and Since name images; Resolve turns them into times.
	Before, Since []string

	before, since []time.Time
}

// LabelFilter is label=KEY, label=KEY=VALUE or label!=... (Negate).
type LabelFilter struct {
	Key, Value string
	HasValue   bool
	Negate     bool
}

// FilterKeys are the filter keys ParseFilters accepts.
var FilterKeys = []string{"before", "containers", "dangling", "id", "intermediate", "label", "readonly", "reference", "since"}

// ParseFilters parses --filter values such as "dangling=true" or "label=k=v".
func ParseFilters(args []string) (*Filter, error) {
	f := &Filter{}
	for _, a := range args {
		key, val, ok := strings.Cut(a, "=")
		negate := false
		if ok && strings.HasSuffix(key, "!") {
			key, negate = strings.TrimSuffix(key, "!"), true
		}
		if !ok || key == "" {
			return nil, fmt.Errorf("invalid image filter %q: want KEY=VALUE with KEY one of %s", a, strings.Join(FilterKeys, ", "))
		}
		if negate && key != "label" {
			return nil, fmt.Errorf("invalid image filter %q: only label accepts !=", a)
		}
		if val == "" {
			return nil, fmt.Errorf("invalid image filter %q: %s needs a value", a, key)
		}
		var err error
		switch key {
		case "dangling":
			f.Dangling, err = parseBool(a, val)
		case "intermediate":
			f.Intermediate, err = parseBool(a, val)
		case "containers":
			f.Containers, err = parseBool(a, val)
		case "readonly":
			f.ReadOnly, err = parseBool(a, val)
		case "reference":
			if _, err = path.Match(val, ""); err != nil {
				err = fmt.Errorf("invalid image filter %q: bad pattern: %w", a, err)
			}
			f.References = append(f.References, val)
		case "id":
			f.IDs = append(f.IDs, strings.TrimPrefix(val, "sha256:"))
		case "before":
			f.Before = append(f.Before, val)
		case "since":
			f.Since = append(f.Since, val)
		case "label":
			k, v, hasValue := strings.Cut(val, "=")
			if k == "" {
				return nil, fmt.Errorf("invalid image filter %q: label needs a key", a)
			}
			f.Labels = append(f.Labels, LabelFilter{Key: k, Value: v, HasValue: hasValue, Negate: negate})
		default:
			return nil, fmt.Errorf("invalid image filter %q: unknown key %q: use one of %s", a, key, strings.Join(FilterKeys, ", "))
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

func parseBool(arg, val string) (*bool, error) {
	b, err := strconv.ParseBool(val)
	if err != nil {
		return nil, fmt.Errorf("invalid image filter %q: want true or false", arg)
	}
	return &b, nil
}

// Resolve turns the before and since image names into creation times with
// created, which looks an image up by name or id.
func (f *Filter) Resolve(created func(name string) (time.Time, error)) error {
	f.before, f.since = nil, nil
	for _, n := range f.Before {
		t, err := created(n)
		if err != nil {
			return fmt.Errorf("filter before=%s: %w", n, err)
		}
		f.before = append(f.before, t)
	}
	for _, n := range f.Since {
		t, err := created(n)
		if err != nil {
			return fmt.Errorf("filter since=%s: %w", n, err)
		}
		f.since = append(f.since, t)
	}
	return nil
}

// Match reports whether s passes every filter; call Resolve first when
// Before or Since are set.
func (f *Filter) Match(s Summary) bool {
	if f.Dangling != nil && *f.Dangling != s.Dangling {
		return false
	}
	if f.Intermediate != nil && *f.Intermediate != s.Intermediate {
		return false
	}
	if f.Containers != nil && *f.Containers != (s.Containers > 0) {
		return false
	}
	if f.ReadOnly != nil && *f.ReadOnly != s.ReadOnly {
		return false
	}
	if len(f.References) > 0 && !anyReference(f.References, s.Names) {
		return false
	}
	if len(f.IDs) > 0 {
		found := false
		for _, id := range f.IDs {
			found = found || strings.HasPrefix(s.ID, id)
		}
		if !found {
			return false
		}
	}
	for _, l := range f.Labels {
		v, has := s.Labels[l.Key]
		m := has && (!l.HasValue || v == l.Value)
		if m == l.Negate {
			return false
		}
	}
	for _, t := range f.before {
		if !s.Created.Before(t) {
			return false
		}
	}
	for _, t := range f.since {
		if !s.Created.After(t) {
			return false
		}
	}
	return true
}

func anyReference(patterns, names []string) bool {
	for _, p := range patterns {
		if MatchReference(p, names) {
			return true
		}
	}
	return false
}

// MatchReference reports whether the glob pattern matches one of names: the
// full name with or without its tag, or any trailing part of it after a
// "/", so that "busybox" and "busy*:latest" match "quay.io/x/busybox:latest".
func MatchReference(pattern string, names []string) bool {
	for _, n := range names {
		for _, c := range referenceCandidates(n) {
			if ok, _ := path.Match(pattern, c); ok {
				return true
			}
		}
	}
	return false
}

func referenceCandidates(name string) []string {
	full := []string{name}
	if repo, _, ok := splitTag(name); ok {
		full = append(full, repo)
	}
	var out []string
	for _, f := range full {
		out = append(out, f)
		for i := 0; i < len(f); i++ {
			if f[i] == '/' {
				out = append(out, f[i+1:])
			}
		}
	}
	return out
}

// SplitName splits "repo:tag" (or "repo@digest") into repository and tag,
// with "<none>" for a name without a tag.
func SplitName(name string) (repo, tag string) {
	if i := strings.Index(name, "@"); i >= 0 {
		return name[:i], "<none>"
	}
	if r, t, ok := splitTag(name); ok {
		return r, t
	}
	return name, "<none>"
}

func splitTag(name string) (repo, tag string, ok bool) {
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		return name[:i], name[i+1:], true
	}
	return name, "", false
}
