package idmap

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rpod/rpod/internal/account"
)

// The fixes below are shared by `rpod system check` (package hostcheck) and
// by the errors of a failing command, so that both say the same sentence.

// FreeRange is the first block of 65536 IDs from 100000 on, aligned to
// 65536 past 100000, that overlaps none of entries: a range a fix can hand out.
func FreeRange(entries []Entry) Range {
	const size = 65536
	for start := uint64(100000); start+size <= 1<<32-1; start += size {
		free := true
		for _, e := range entries {
			if start < e.Range.end() && uint64(e.Range.Start) < start+size {
				free = false
				break
			}
		}
		if free {
			return Range{Start: uint32(start), Count: size}
		}
	}
	return Range{Start: 100000, Count: size}
}

// Span writes r as usermod wants it: FIRST-LAST.
func (r Range) Span() string { return fmt.Sprintf("%d-%d", r.Start, r.end()-1) }

// FixAddRanges is the command that gives user the subordinate uids and gids r.
func FixAddRanges(user string, r Range) string {
	return fmt.Sprintf("sudo usermod --add-subuids %s --add-subgids %s %s && rpod system migrate", r.Span(), r.Span(), user)
}

// AllEntries parses a whole subordinate ID file, every owner's lines.
func AllEntries(file string) ([]Entry, []*ParseError, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading subordinate ids: %w", err)
	}
	entries, bad := Parse(bytes.NewReader(data), file)
	return entries, bad, nil
}

// FixInstallHelpers installs newuidmap and newgidmap on Debian/Ubuntu and Fedora.
const FixInstallHelpers = "sudo apt-get install uidmap (Debian/Ubuntu) or sudo dnf install shadow-utils (Fedora)"

// FixReinstallHelpers restores the helpers' setuid bit the way the package ships them.
const FixReinstallHelpers = "sudo apt-get install --reinstall uidmap (Debian/Ubuntu) or sudo dnf reinstall shadow-utils (Fedora)"

// distroHelper reports whether p is where distributions install the helpers,
// so the fix can say reinstall rather than "this is not the one you want".
func distroHelper(p string) bool {
	for _, d := range []string{"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"} {
		if strings.HasPrefix(p, d) && !strings.Contains(p[len(d):], "/") {
			return true
		}
	}
	return false
}

// FixHelperPrivilege is the fix for a helper at p that is neither setuid root
// nor capable.
func FixHelperPrivilege(p string) string {
	if distroHelper(p) {
		return fmt.Sprintf("sudo chmod u+s %s (or sudo setcap cap_setuid,cap_setgid+ep %s); or %s", p, p, FixReinstallHelpers)
	}
	return fmt.Sprintf("take %s out of $PATH (this %s is not the distribution's), or make it setuid root: sudo chown root:root %s && sudo chmod u+s %s",
		filepath.Dir(p), filepath.Base(p), p, p)
}

// CheckError is a failure that `rpod system check` reports as the named
// check: Found says what is wrong, Fix the command that repairs it.
type CheckError struct {
	Check, Found, Fix string
	Err               error // the underlying error, if any
}

func (e *CheckError) Error() string {
	s := e.Found
	if e.Fix != "" {
		s += ": " + e.Fix
	}
	return s + " (rpod system check: " + e.Check + ")"
}

func (e *CheckError) Unwrap() error { return e.Err }

// Uncovered returns the first mapping, other than the single-ID line for
// own, whose host IDs are not inside one of entries' ranges.
func Uncovered(own uint32, maps []Mapping, entries []Entry) (Mapping, bool) {
	for _, m := range maps {
		if m.Size == 1 && m.HostID == own {
			continue
		}
		lo, hi := uint64(m.HostID), uint64(m.HostID)+uint64(m.Size)
		covered := false
		for _, e := range entries {
			if uint64(e.Range.Start) <= lo && hi <= e.Range.end() {
				covered = true
				break
			}
		}
		if !covered {
			return m, true
		}
	}
	return Mapping{}, false
}

// Overlapping returns other owners' entries in all that overlap one of
// mine: two users sharing subordinate IDs can reach each other's files.
func Overlapping(mine, all []Entry) []Entry {
	var out []Entry
	for _, o := range all {
		self := false
		for _, m := range mine {
			if m.File == o.File && m.Line == o.Line {
				self = true
			}
		}
		if self || (len(mine) > 0 && o.Owner == mine[0].Owner) {
			continue
		}
		for _, m := range mine {
			if uint64(m.Range.Start) < o.Range.end() && uint64(o.Range.Start) < m.Range.end() {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// explainHelperFailure turns a helper that ran and refused the maps into the
// check that says why: the ranges asked for are not in the system's file.
// It returns nil when the ranges are fine, leaving the helper's own words.
func explainHelperFailure(kind string, maps []Mapping, own uint32, herr error) error {
	file := "/etc/sub" + kind
	// Both files are keyed by the user's name or uid, never by a gid.
	name := account.Name(int(ownUID()))
	entries, _, err := Lookup(file, name, ownUID())
	if err != nil {
		return nil
	}
	m, bad := Uncovered(own, maps, entries)
	if !bad {
		return nil
	}
	all, _, _ := AllEntries(file)
	fix := FixAddRanges(name, FreeRange(all))
	if env := "RPOD_SUB" + strings.ToUpper(kind) + "_FILE"; os.Getenv(env) != "" {
		fix = "unset " + env + ": new" + kind + "map grants only the ranges in " + file + "; or " + fix
	}
	return &CheckError{
		Check: "sub" + kind,
		Found: fmt.Sprintf("%ss %d-%d are not granted to %s in %s, so new%smap refused them",
			kind, m.HostID, uint64(m.HostID)+uint64(m.Size)-1, name, file, kind),
		Fix: fix,
		Err: herr,
	}
}

// ownUID is the caller's uid; rpod runs the helpers before joining its namespace.
func ownUID() uint32 { return uint32(os.Getuid()) }
