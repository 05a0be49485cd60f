package idmap

import (
	"math"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("alice:100000:65536\n")
	f.Add("# comment\n\n  1000:1:4294967294  \r\nbob:4294967295:1\n")
	f.Add("a:1\n:1:1\nb:x:1\nc:1:0\nd:1:2:3\ne:99999999999:1\n")
	f.Fuzz(func(t *testing.T, data string) {
		entries, bad := Parse(strings.NewReader(data), "fuzz")
		lines := strings.Count(data, "\n") + 1
		seen := make(map[int]bool)
		for _, e := range entries {
			if e.Range.Count == 0 {
				t.Errorf("line %d: zero count accepted", e.Line)
			}
			if uint64(e.Range.Start)+uint64(e.Range.Count) > math.MaxUint32 {
				t.Errorf("line %d: range %d+%d overflows", e.Line, e.Range.Start, e.Range.Count)
			}
			if e.Owner == "" || strings.Contains(e.Owner, ":") {
				t.Errorf("line %d: bad owner %q", e.Line, e.Owner)
			}
			if e.File != "fuzz" || e.Line < 1 || e.Line > lines || seen[e.Line] {
				t.Errorf("bad position %s:%d", e.File, e.Line)
			}
			seen[e.Line] = true
		}
		for _, b := range bad {
			if b.Line < 1 || b.Line > lines || seen[b.Line] || b.Reason == "" {
				t.Errorf("bad position or reason: %v", b)
			}
			seen[b.Line] = true
			_ = b.Error()
		}
	})
}
