package runtime

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Filter is a parsed `ps --filter` set: values of one key are alternatives,
// different keys must all match, as in podman.
type Filter struct {
	Status   []string
	Names    []*regexp.Regexp
	IDs      []string
	Ancestor []string
	Exited   []int
	Labels   [][2]string // key and value; a value of "" asks only for the key
	// RestartPolicy holds restart-policy= values: no, on-failure, always, unless-stopped.
	RestartPolicy []string
}

// statusAliases are the status= values ps accepts, each with the states
// (as ShownStatus gives them) it matches: every state rpod shows, podman's
// own names (configured is its word for created, stopped for exited;
// initialized and stopping are states rpod never passes through), and
// docker's restarting. A state not recorded or not readable is unknown.
var statusAliases = map[string][]string{
	"created":     {"created"},
	"configured":  {"created"},
	"initialized": nil,
	"running":     {"running"},
	"paused":      {"paused"},
	"stopping":    nil,
	"exited":      {"exited"},
	"stopped":     {"exited"},
	"restarting":  nil,
	"removing":    {"removing"},
	"unknown":     {"unknown", ""},
}

// statusNames lists the accepted status= values for an error message.
func statusNames() string {
	names := slices.Sorted(maps.Keys(statusAliases))
	return strings.Join(names, ", ")
}

// ParseFilter reads key=value filters: status, name, id, ancestor, exited, label.
func ParseFilter(fs []string) (*Filter, error) {
	f := &Filter{}
	for _, s := range fs {
		k, v, ok := strings.Cut(s, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("invalid filter %q: want key=value, such as status=running", s)
		}
		switch k {
		case "status":
			if _, ok := statusAliases[v]; !ok {
				return nil, fmt.Errorf("invalid filter %q: unknown container state %q: status is one of %s", s, v, statusNames())
			}
			f.Status = append(f.Status, v)
		case "name":
			re, err := regexp.Compile(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: %w", s, err)
			}
			f.Names = append(f.Names, re)
		case "id":
			f.IDs = append(f.IDs, strings.ToLower(v))
		case "ancestor":
			f.Ancestor = append(f.Ancestor, v)
		case "exited":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("invalid filter %q: exited takes an exit code", s)
			}
			f.Exited = append(f.Exited, n)
		case "label":
			lk, lv, _ := strings.Cut(v, "=")
			f.Labels = append(f.Labels, [2]string{lk, lv})
		case "restart-policy":
			switch v {
			case "no", "on-failure", "always", "unless-stopped":
			default:
				return nil, fmt.Errorf("invalid filter %q: restart-policy is one of no, on-failure, always, unless-stopped", s)
			}
			f.RestartPolicy = append(f.RestartPolicy, v)
		default:
			return nil, fmt.Errorf("invalid filter %q: the keys are status, name, id, ancestor, exited, label and restart-policy", s)
		}
	}
	return f, nil
}

// Match reports whether a container in state s passes every key of f.
func (f *Filter) Match(c *Container, s State) bool {
	if len(f.Status) > 0 && !anyOf(f.Status, func(v string) bool {
		return slices.Contains(statusAliases[v], s.ShownStatus())
	}) {
		return false
	}
	if len(f.Names) > 0 && !anyOf(f.Names, func(re *regexp.Regexp) bool { return re.MatchString(c.Name) }) {
		return false
	}
	if len(f.IDs) > 0 && !anyOf(f.IDs, func(id string) bool { return strings.HasPrefix(c.ID, id) }) {
		return false
	}
	if len(f.Ancestor) > 0 && !anyOf(f.Ancestor, func(a string) bool { return matchAncestor(a, c.Image, c.ImageID) }) {
		return false
	}
	if len(f.Exited) > 0 && !anyOf(f.Exited, func(code int) bool { return s.Status == "exited" && s.ExitCode == code }) {
		return false
	}
	if len(f.RestartPolicy) > 0 && !slices.Contains(f.RestartPolicy, cmp.Or(c.RestartPolicy.Name, "no")) {
		return false
	}
	// Every label filter must match, as podman's.
	for _, l := range f.Labels {
		v, ok := c.Labels[l[0]]
		if !ok || l[1] != "" && v != l[1] {
			return false
		}
	}
	return true
}

// matchAncestor accepts the image's id or id prefix, or its name written
// with or without registry, library/ and :latest.
func matchAncestor(want, name, id string) bool {
	want = strings.TrimPrefix(want, "sha256:")
	if len(want) >= 3 && strings.HasPrefix(id, want) {
		return true
	}
	return normalName(want) == normalName(name)
}

func normalName(n string) string {
	if host, rest, ok := strings.Cut(n, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		n = rest
	}
	n = strings.TrimPrefix(n, "library/")
	if !strings.Contains(n, "@") && !strings.Contains(n[strings.LastIndexByte(n, '/')+1:], ":") {
		n += ":latest"
	}
	return n
}

func anyOf[T any](vs []T, ok func(T) bool) bool {
	for _, v := range vs {
		if ok(v) {
			return true
		}
	}
	return false
}
