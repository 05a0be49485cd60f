// Package quadlet turns Quadlet files (.container, .volume, .network,
// .image), as podman users write them, into systemd user units that run rpod.
package quadlet

import (
	"fmt"
	"strings"
)

// Error is a problem in a Quadlet file, reported as FILE:LINE: message.
type Error struct {
	File string
	Line int // 0 when the problem is the file as a whole
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Entry is one Key=Value line; Line is where it starts.
type Entry struct {
	Key, Value string
	Line       int
}

// Section is one [Name] group of entries, in file order.
type Section struct {
	Name    string
	Line    int
	Entries []Entry
}

// UnitFile is a parsed systemd-style unit file.
type UnitFile struct {
	Path     string
	Sections []*Section
}

// Section returns the first section called name, or nil.
func (u *UnitFile) Section(name string) *Section {
	for _, s := range u.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Parse reads unit file syntax as systemd does: [Section] headers, Key=Value
// lines with the whitespace around key and value dropped, # and ; comments,
// and lines continued by a trailing backslash (joined with a space).
func Parse(path string, data []byte) (*UnitFile, error) {
	u := &UnitFile{Path: path}
	var cur *Section
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		// A continued line: systemd drops comment lines inside it.
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if next != "" && (next[0] == '#' || next[0] == ';') {
				continue
			}
			line = strings.TrimRight(strings.TrimSuffix(line, "\\"), " \t") + " " + next
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, "\\"))
		if line == "" {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 || strings.TrimSpace(line[end+1:]) != "" {
				return nil, &Error{path, lineNo, fmt.Sprintf("malformed section header %q", line)}
			}
			name := line[1:end]
			if name == "" || strings.ContainsAny(name, "[]") {
				return nil, &Error{path, lineNo, fmt.Sprintf("malformed section header %q", line)}
			}
			cur = &Section{Name: name, Line: lineNo}
			u.Sections = append(u.Sections, cur)
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			return nil, &Error{path, lineNo, fmt.Sprintf("malformed line %q: expected Key=Value", line)}
		}
		key := strings.TrimSpace(line[:eq])
		if key == "" || strings.ContainsAny(key, " \t") {
			return nil, &Error{path, lineNo, fmt.Sprintf("malformed key %q", key)}
		}
		if cur == nil {
			return nil, &Error{path, lineNo, fmt.Sprintf("key %q outside of any [Section]", key)}
		}
		cur.Entries = append(cur.Entries, Entry{Key: key, Value: strings.TrimSpace(line[eq+1:]), Line: lineNo})
	}
	return u, nil
}
