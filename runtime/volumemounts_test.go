package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveIn(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755)
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	os.Symlink("usr/lib", filepath.Join(root, "lib"))
	os.Symlink("../run", filepath.Join(root, "usr/varrun"))
	os.Symlink("/usr/lib", filepath.Join(root, "abs"))
	os.Symlink("../../..", filepath.Join(root, "usr/out"))
	os.Symlink("/etc/../..", filepath.Join(root, "absout"))
	os.Symlink("loop2", filepath.Join(root, "loop1"))
	os.Symlink("loop1", filepath.Join(root, "loop2"))
	for _, tc := range []struct{ p, want, wantErr string }{
		{p: "/data", want: "/data"},
		{p: "/lib/x", want: "/usr/lib/x"},
		{p: "/usr/varrun/a", want: "/run/a"},
		{p: "/abs/new/dir", want: "/usr/lib/new/dir"},
		{p: "/../../etc", want: "/etc"},
		{p: "/usr/out/etc", wantErr: "leaves the container's root"},
		{p: "/absout/etc", wantErr: "leaves the container's root"},
		{p: "/loop1", wantErr: "too many levels"},
	} {
		got, err := ResolveIn(root, tc.p)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ResolveIn(%q) = %q, %v; want error %q", tc.p, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != filepath.Join(root, tc.want) {
			t.Errorf("ResolveIn(%q) = %q, %v; want %s", tc.p, got, err, tc.want)
		}
	}
}

func FuzzResolveIn(f *testing.F) {
	root := f.TempDir()
	os.MkdirAll(filepath.Join(root, "a/b"), 0o755)
	os.Symlink("../..", filepath.Join(root, "a/up"))
	os.Symlink("/a", filepath.Join(root, "abs"))
	os.Symlink("b/../../a", filepath.Join(root, "a/rel"))
	for _, s := range []string{"/a/b", "/a/up/x", "/abs/rel/b", "../x", "/a/rel/up"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := ResolveIn(root, p)
		if err != nil {
			if !errors.Is(err, ErrEscapesRoot) && !strings.Contains(err.Error(), "too many levels") && !strings.Contains(err.Error(), "not a directory") && !strings.Contains(err.Error(), "invalid argument") && !strings.Contains(err.Error(), "file name too long") {
				t.Fatalf("ResolveIn(%q): %v", p, err)
			}
			return
		}
		if got != root && !strings.HasPrefix(got, root+"/") {
			t.Fatalf("ResolveIn(%q) = %q: outside %s", p, got, root)
		}
	})
}
