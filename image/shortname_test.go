package image

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.podman.io/image/v5/types"
)

// shortNameSys reads the test registries.conf alone: no drop-ins, no
// user's aliases.
func shortNameSys(t testing.TB) *types.SystemContext {
	dir := t.TempDir()
	return &types.SystemContext{
		SystemRegistriesConfPath:    "testdata/shortnames-registries.conf",
		SystemRegistriesConfDirPath: filepath.Join(dir, "none.d"),
		UserShortNameAliasConfPath:  filepath.Join(dir, "short-name-aliases.conf"),
	}
}

func TestShortCandidates(t *testing.T) {
	sys := shortNameSys(t)
	for _, tc := range []struct {
		in   string
		want []string // nil: left to the library
	}{
		{"busybox", []string{"127.0.0.1:5000/busybox:latest", "localhost/busybox:latest", "127.0.0.1:5000/busybox:latest", "docker.io/library/busybox:latest", "quay.io/busybox:latest"}},
		{"busybox:1.36", []string{"127.0.0.1:5000/busybox:1.36", "localhost/busybox:1.36", "127.0.0.1:5000/busybox:1.36", "docker.io/library/busybox:1.36", "quay.io/busybox:1.36"}},
		{"team/app:v_2", []string{"quay.io/team/app:v_2", "localhost/team/app:v_2", "127.0.0.1:5000/team/app:v_2", "docker.io/team/app:v_2", "quay.io/team/app:v_2"}},
		{"library/alpine", []string{"localhost/library/alpine:latest", "127.0.0.1:5000/library/alpine:latest", "docker.io/library/alpine:latest", "quay.io/library/alpine:latest"}},
		{"busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000", nil},
		{"BusyBox", nil},
		{strings.Repeat("0", 64), nil}, // an image id, refused as a name
		{"busybox:", nil},
		{"a..b", nil},
		{"localhost/busybox", nil},
		{"x.io/busybox", nil},
		{"", nil},
	} {
		got, ok, err := shortCandidates(sys, tc.in, "")
		if err != nil {
			t.Errorf("shortCandidates(%q): %v", tc.in, err)
			continue
		}
		if !slices.Equal(got, tc.want) || ok != (tc.want != nil) {
			t.Errorf("shortCandidates(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
		if !ok {
			continue
		}
		if lib, err := libraryCandidates(sys, tc.in); err != nil || !slices.Equal(lib, got) {
			t.Errorf("shortCandidates(%q) = %q, the library's %q (%v)", tc.in, got, lib, err)
		}
	}
}

// FuzzShortCandidates: whatever shortCandidates resolves, containers/image
// resolves to the same names in the same order, and so does the cache of
// what it found.
func FuzzShortCandidates(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:1", "team/app", "a/b/c:T.1-x", "alpine:3.20", "a__b-c.d", "x.io/a", "b@sha256:00"} {
		f.Add(s)
	}
	sys := shortNameSys(f)
	cache := shortNameCacheFile(f.TempDir())
	f.Fuzz(func(t *testing.T, s string) {
		got, ok, err := shortCandidates(sys, s, "")
		if !ok || err != nil {
			return
		}
		lib, err := libraryCandidates(sys, s)
		if err != nil {
			t.Fatalf("shortCandidates(%q) = %q, but the library refuses it: %v", s, got, err)
		}
		if !slices.Equal(got, lib) {
			t.Fatalf("shortCandidates(%q) = %q, library %q", s, got, lib)
		}
		for _, pass := range []string{"kept", "from the cache"} {
			if cached, ok, err := shortCandidates(sys, s, cache); !ok || err != nil || !slices.Equal(cached, lib) {
				t.Fatalf("shortCandidates(%q), %s: %q %v %v, library %q", s, pass, cached, ok, err, lib)
			}
		}
	})
}
