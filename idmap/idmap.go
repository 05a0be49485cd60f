// Package idmap reads subordinate ID ranges (/etc/subuid, /etc/subgid) and
// turns them into user-namespace ID maps for rootless containers.
//
// The package keeps no global state and never logs: anything worth a warning
// (malformed lines, for instance) is handed back to the caller.
package idmap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Range is a contiguous block of subordinate IDs on the host.
type Range struct{ Start, Count uint32 }

// end returns one past the last ID; uint64 so a hand-built Range cannot wrap.
func (r Range) end() uint64 { return uint64(r.Start) + uint64(r.Count) }

// contains reports whether id falls inside r.
func (r Range) contains(id uint32) bool { return id >= r.Start && uint64(id) < r.end() }

// String shows the range as it is written in the file, plus the IDs it covers,
// because users edit the former and reason about the latter.
func (r Range) String() string {
	if r.Count == 0 {
		return fmt.Sprintf("%d:0 (empty)", r.Start)
	}
	return fmt.Sprintf("%d:%d (ids %d-%d)", r.Start, r.Count, r.Start, r.end()-1)
}

// Entry is one parsed line of /etc/subuid or /etc/subgid.
type Entry struct {
	Owner string
	Range Range
	File  string
	Line  int
}

// where names the entry's origin so that users know which line to edit.
func (e Entry) where() string {
	if e.File == "" {
		return fmt.Sprintf("line %d", e.Line)
	}
	return fmt.Sprintf("%s:%d", e.File, e.Line)
}

// Ranges strips the file positions from entries, the shape Default wants.
func Ranges(entries []Entry) []Range {
	rs := make([]Range, 0, len(entries))
	for _, e := range entries {
		rs = append(rs, e.Range)
	}
	return rs
}

// ParseError reports a malformed line with its position.
type ParseError struct {
	File   string
	Line   int
	Text   string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: malformed line %q: %s", e.File, e.Line, e.Text, e.Reason)
}

// Parse reads a subuid/subgid file's content. Comments (#...) and blank lines
// are skipped; malformed lines are returned as *ParseError values in bad and
// do not stop the parse, because one typo must not lock a user out of all
// their other ranges.
func Parse(r io.Reader, file string) (entries []Entry, bad []*ParseError) {
	// bufio.Reader rather than Scanner: a Scanner gives up on long lines,
	// and a single oversized line must not hide the ones after it.
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		raw, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			// Parse has no error result; a read failure is reported
			// where the file stops making sense, like any bad line.
			// The partial line is dropped, as it may be cut short.
			bad = append(bad, &ParseError{File: file, Line: n, Reason: "read failed: " + err.Error()})
			return entries, bad
		}
		text := strings.TrimSpace(raw)
		if text != "" && !strings.HasPrefix(text, "#") {
			if e, reason := parseLine(text); reason != "" {
				bad = append(bad, &ParseError{File: file, Line: n, Text: text, Reason: reason})
			} else {
				e.File, e.Line = file, n
				entries = append(entries, e)
			}
		}
		if err == io.EOF {
			return entries, bad
		}
	}
}

// parseLine parses a trimmed, non-comment line; a non-empty reason means it
// is malformed.
func parseLine(text string) (Entry, string) {
	const want = "want NAME:START:COUNT"
	f := strings.Split(text, ":")
	switch {
	case len(f) < 3:
		return Entry{}, want
	case len(f) > 3:
		return Entry{}, "too many fields, " + want
	case f[0] == "":
		return Entry{}, "empty owner, " + want
	case strings.IndexFunc(f[0], unicode.IsSpace) >= 0:
		// newuidmap compares owners literally, so "alice " would
		// silently not be alice's range.
		return Entry{}, fmt.Sprintf("owner %q contains whitespace", f[0])
	}
	start, reason := parseID("start", f[1])
	if reason != "" {
		return Entry{}, reason
	}
	count, reason := parseID("count", f[2])
	if reason != "" {
		return Entry{}, reason
	}
	if count == 0 {
		return Entry{}, "count is zero"
	}
	if sum := uint64(start) + uint64(count); sum > math.MaxUint32 {
		return Entry{}, fmt.Sprintf("start+count = %d overflows past 2^32-1", sum)
	}
	return Entry{Owner: f[0], Range: Range{Start: uint32(start), Count: uint32(count)}}, ""
}

// parseID parses a decimal 32-bit ID field, naming the field in the reason.
func parseID(field, s string) (uint32, string) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err == nil {
		return uint32(v), ""
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Sprintf("%s %q is larger than %d", field, s, uint32(math.MaxUint32))
	}
	return 0, fmt.Sprintf("%s %q is not a number", field, s)
}

// Lookup returns the ranges of the user (matched by user name or by decimal
// uid, in file order) plus the file's malformed lines so the caller can warn.
// A missing file is not an error: the user simply has no ranges.
func Lookup(file, user string, uid uint32) (ranges []Entry, bad []*ParseError, err error) {
	entries, bad, err := AllEntries(file)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if Owns(e.Owner, user, uid) {
			ranges = append(ranges, e)
		}
	}
	return ranges, bad, nil
}

// Owns reports whether a line's owner field names the user: by name, or by
// the value of uid.
func Owns(owner, user string, uid uint32) bool {
	return (user != "" && owner == user) || ownerIsUID(owner, uid)
}

// ownerIsUID matches numeric keys the way shadow-utils does, by value, so
// "01000" also means uid 1000.
func ownerIsUID(owner string, uid uint32) bool {
	v, err := strconv.ParseUint(owner, 10, 32)
	return err == nil && uint32(v) == uid
}

// Mapping is one line of /proc/PID/uid_map: ContainerID HostID Size.
type Mapping struct{ ContainerID, HostID, Size uint32 }

// Default builds rootless maps: container root is the user's own hostID, and
// the subordinate ranges follow from container ID 1, in order, without gaps.
// Ranges that no longer fit in the 32-bit container ID space are truncated.
func Default(hostID uint32, ranges []Range) []Mapping {
	maps := []Mapping{{ContainerID: 0, HostID: hostID, Size: 1}}
	next := uint64(1)
	for _, r := range ranges {
		room := uint64(math.MaxUint32) - next
		if room == 0 {
			break
		}
		size := min(uint64(r.Count), room)
		if size == 0 {
			continue
		}
		maps = append(maps, Mapping{ContainerID: uint32(next), HostID: r.Start, Size: uint32(size)})
		next += size
	}
	return maps
}

// CheckRanges refuses ranges the kernel or newuidmap would reject later with
// a far less helpful message: a range containing the user's own id, and
// ranges that overlap each other.
func CheckRanges(hostID uint32, entries []Entry) error {
	for _, e := range entries {
		if e.Range.contains(hostID) {
			return fmt.Errorf("%s: subordinate range %s contains your own id %d: remove that line",
				e.where(), e.Range, hostID)
		}
	}
	for i, a := range entries {
		for _, b := range entries[i+1:] {
			if uint64(a.Range.Start) < b.Range.end() && uint64(b.Range.Start) < a.Range.end() {
				return fmt.Errorf("%s: subordinate range %s overlaps range %s at %s: remove or shrink one of them",
					a.where(), a.Range, b.Range, b.where())
			}
		}
	}
	return nil
}

// Format renders maps as "0:1000:1,1:100000:65536" for rpod info and debugging.
func Format(m []Mapping) string {
	parts := make([]string, len(m))
	for i, x := range m {
		parts[i] = fmt.Sprintf("%d:%d:%d", x.ContainerID, x.HostID, x.Size)
	}
	return strings.Join(parts, ",")
}
