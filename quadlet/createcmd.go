package quadlet

import "strings"

// FlagInfo describes one flag of rpod (run's or a global one): Long is its
// long name, Value whether it takes a value. ok is false for an unknown flag.
type FlagInfo func(name string) (long string, value bool, ok bool)

// unitOwned are run's flags that a generated unit sets itself (or that
// make no sense in one): a recorded command line loses them.
var unitOwned = map[string]bool{
	"name": true, "detach": true, "rm": true, "replace": true, "cidfile": true,
	"cgroups": true, "sdnotify": true, "restart": true,
}

// RunArgs turns a recorded command line (`rpod [GLOBAL] [container] run|create
// FLAGS IMAGE [ARG...]`, the CreateCommand of inspect) into run's flags,
// image and command for a unit, as podman's generate systemd --new does:
// global flags are kept, the unit's own flags dropped. ok is false when the
// line cannot be read: the caller rebuilds the flags another way.
func RunArgs(cmdline []string, flag FlagInfo) (args []string, ok bool) {
	if len(cmdline) < 2 {
		return nil, false
	}
	rest := cmdline[1:]
	var global []string
	for {
		if len(rest) == 0 {
			return nil, false
		}
		w := rest[0]
		if w == "run" || w == "create" {
			rest = rest[1:]
			break
		}
		if w == "container" {
			rest = rest[1:]
			continue
		}
		if !strings.HasPrefix(w, "-") || w == "--" {
			return nil, false
		}
		n, err := flagWords(rest, flag)
		if err {
			return nil, false
		}
		global = append(global, rest[:n]...)
		rest = rest[n:]
	}
	out := append([]string{}, global...)
	for len(rest) > 0 {
		w := rest[0]
		if w == "--" || !strings.HasPrefix(w, "-") || w == "-" {
			break // the image: run takes no flags after it
		}
		n, bad := flagWords(rest, flag)
		if bad {
			return nil, false
		}
		if !ownedFlag(w, flag) {
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return nil, false // no image
	}
	return append(out, rest...), true
}

// flagWords is how many words the flag at ws[0] takes: 1, or 2 with a
// separate value. bad is true for an unknown flag or a missing value.
func flagWords(ws []string, flag FlagInfo) (n int, bad bool) {
	w := ws[0]
	needs := false
	if long, found := strings.CutPrefix(w, "--"); found {
		name, _, inline := strings.Cut(long, "=")
		_, value, ok := flag(name)
		if !ok {
			return 0, true
		}
		needs = value && !inline
	} else {
		// -abc: one-letter flags; the first that takes a value takes the rest, or the next word.
		letters := w[1:]
		for i := 0; i < len(letters); i++ {
			_, value, ok := flag(letters[i : i+1])
			if !ok {
				return 0, true
			}
			if value {
				needs = i == len(letters)-1
				break
			}
		}
	}
	if !needs {
		return 1, false
	}
	if len(ws) < 2 {
		return 0, true
	}
	return 2, false
}

// ownedFlag reports whether the flag word w sets something the unit sets:
// a group of one-letter flags is dropped only when every flag is the unit's.
func ownedFlag(w string, flag FlagInfo) bool {
	if long, found := strings.CutPrefix(w, "--"); found {
		name, _, _ := strings.Cut(long, "=")
		l, _, _ := flag(name)
		return unitOwned[l]
	}
	letters := w[1:]
	for i := 0; i < len(letters); i++ {
		l, value, _ := flag(letters[i : i+1])
		if !unitOwned[l] {
			return false
		}
		if value {
			break
		}
	}
	return true
}
