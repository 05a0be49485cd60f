package runtime

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Ulimit is one --ulimit: a resource limit the container's command starts with.
type Ulimit struct {
	Name string `json:"name"` // podman's name: nofile, nproc, core...
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// Unlimited is the value of a limit given as -1 or unlimited.
const Unlimited = unix.RLIM_INFINITY

// rlimits maps podman's --ulimit names to the kernel's resources, with the
// ulimit(1) option that shows the user's maximum.
var rlimits = map[string]struct {
	res    int
	option string
}{
	"as": {unix.RLIMIT_AS, "-Hv"}, "core": {unix.RLIMIT_CORE, "-Hc"}, "cpu": {unix.RLIMIT_CPU, "-Ht"},
	"data": {unix.RLIMIT_DATA, "-Hd"}, "fsize": {unix.RLIMIT_FSIZE, "-Hf"}, "locks": {unix.RLIMIT_LOCKS, "-Hx"},
	"memlock": {unix.RLIMIT_MEMLOCK, "-Hl"}, "msgqueue": {unix.RLIMIT_MSGQUEUE, "-Hq"}, "nice": {unix.RLIMIT_NICE, "-He"},
	"nofile": {unix.RLIMIT_NOFILE, "-Hn"}, "nproc": {unix.RLIMIT_NPROC, "-Hu"}, "rss": {unix.RLIMIT_RSS, "-Hm"},
	"rtprio": {unix.RLIMIT_RTPRIO, "-Hr"}, "rttime": {unix.RLIMIT_RTTIME, "-HR"},
	"sigpending": {unix.RLIMIT_SIGPENDING, "-Hi"}, "stack": {unix.RLIMIT_STACK, "-Hs"},
}

// UlimitNames lists the names --ulimit takes, sorted.
func UlimitNames() []string {
	names := make([]string, 0, len(rlimits))
	for n := range rlimits {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseUlimit parses podman's NAME=SOFT[:HARD]; a value of -1 or
// unlimited means no limit, and a missing HARD is SOFT.
func ParseUlimit(s string) (Ulimit, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" || val == "" {
		return Ulimit{}, fmt.Errorf("invalid --ulimit %q: use NAME=SOFT[:HARD], e.g. nofile=1024:2048", s)
	}
	if _, known := rlimits[name]; !known {
		return Ulimit{}, fmt.Errorf("invalid --ulimit %q: unknown limit %q: use one of %s", s, name, strings.Join(UlimitNames(), ", "))
	}
	softS, hardS, hasHard := strings.Cut(val, ":")
	soft, err := parseRlimitValue(softS)
	if err != nil {
		return Ulimit{}, fmt.Errorf("invalid --ulimit %q: %w", s, err)
	}
	hard := soft
	if hasHard {
		if hard, err = parseRlimitValue(hardS); err != nil {
			return Ulimit{}, fmt.Errorf("invalid --ulimit %q: %w", s, err)
		}
	}
	if soft > hard {
		return Ulimit{}, fmt.Errorf("invalid --ulimit %q: the soft limit %s is above the hard limit %s", s, FormatRlimit(soft), FormatRlimit(hard))
	}
	return Ulimit{Name: name, Soft: soft, Hard: hard}, nil
}

func parseRlimitValue(v string) (uint64, error) {
	if v == "-1" || v == "unlimited" {
		return Unlimited, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == Unlimited {
		return 0, fmt.Errorf("%q is not a limit: use a number, -1 or unlimited", v)
	}
	return n, nil
}

// FormatRlimit writes a limit as ulimit(1) does.
func FormatRlimit(v uint64) string {
	if v == Unlimited {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// CheckUlimit tells whether this process may set u: no one without
// privilege on the host may raise a hard limit above their own.
func CheckUlimit(u Ulimit) error {
	r, ok := rlimits[u.Name]
	if !ok {
		return fmt.Errorf("unknown --ulimit %q", u.Name)
	}
	var cur unix.Rlimit
	if err := unix.Getrlimit(r.res, &cur); err != nil {
		return fmt.Errorf("read your %s limit: %w", u.Name, err)
	}
	if u.Hard > cur.Max {
		return tooHigh(u, cur.Max)
	}
	return nil
}

func tooHigh(u Ulimit, max uint64) error {
	return fmt.Errorf("--ulimit %s: the hard limit %s is above your maximum of %s (ulimit %s): a rootless container cannot raise it; lower the value or raise the user's limit (limits.conf)",
		u.Name, FormatRlimit(u.Hard), FormatRlimit(max), rlimits[u.Name].option)
}
