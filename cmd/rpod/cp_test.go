package main

import (
	"strings"
	"testing"
)

func TestParseCopyArg(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want copyArg
	}{
		{"ctr:/etc/passwd", copyArg{"ctr", "/etc/passwd"}},
		{"ctr:rel/x", copyArg{"ctr", "rel/x"}},
		{"ctr:", copyArg{"ctr", "/"}},
		{"abc123:/a:b", copyArg{"abc123", "/a:b"}},
		{"/tmp/a:b", copyArg{"", "/tmp/a:b"}},
		{"./a:b", copyArg{"", "./a:b"}},
		{"../x", copyArg{"", "../x"}},
		{"-", copyArg{"", "-"}},
		{"file", copyArg{"", "file"}},
		{"dir/a:b", copyArg{"", "dir/a:b"}},
		{":/x", copyArg{"", ":/x"}},
		{"", copyArg{"", ""}},
	} {
		if got := parseCopyArg(tc.in); got != tc.want {
			t.Errorf("parseCopyArg(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func FuzzParseCopyArg(f *testing.F) {
	for _, s := range []string{"ctr:/x", "/a:b", "-", "x", ":", "a:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := parseCopyArg(s)
		if a.container == "" {
			if a.path != s {
				t.Fatalf("host path %q changed to %q", s, a.path)
			}
			return
		}
		if strings.ContainsAny(a.container, ":/") || a.path == "" || !strings.HasPrefix(s, a.container+":") {
			t.Fatalf("parseCopyArg(%q) = %+v", s, a)
		}
	})
}
