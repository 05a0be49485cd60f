package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.podman.io/storage/pkg/reexec"
)

// cpRoot builds a small container root with the symlinks the table uses.
func cpRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"etc", "a/b", "data"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("x"), 0o644)
	for link, target := range map[string]string{
		"escape":      "/../../../..",
		"etclink":     "/etc",
		"rel":         "a/b",
		"up":          "../../../etc",
		"a/b/back":    "../../data",
		"dangling":    "/data/new",
		"danglingrel": "data/new2",
		"danglingout": "/../../../nowhere/x",
		"loop1":       "loop2",
		"loop2":       "loop1",
		"passwdlink":  "/etc/passwd",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestResolveInRoot(t *testing.T) {
	root := cpRoot(t)
	for _, tc := range []struct {
		path   string
		follow bool
		want   string // relative to root; "!" for an error
	}{
		{"/", true, ""},
		{"", true, ""},
		{"/etc/passwd", true, "etc/passwd"},
		{"etc/passwd", true, "etc/passwd"},
		{"/../../etc", true, "etc"},
		{"/escape", true, ""},
		{"/escape/etc", true, "etc"},
		{"/escape/newfile", true, "newfile"},
		{"/etclink", true, "etc"},
		{"/etclink", false, "etclink"},
		{"/etclink/", true, "etc"},
		{"/etclink/passwd", true, "etc/passwd"},
		{"/etclink/new", true, "etc/new"},
		{"/rel", true, "a/b"},
		{"/up", true, "etc"},
		{"/a/b/back", true, "data"},
		{"/rel/back/file", true, "data/file"},
		{"/dangling", true, "data/new"},
		{"/dangling", false, "dangling"},
		{"/danglingrel", true, "data/new2"},
		{"/danglingout", true, "!"}, // /nowhere does not exist
		{"/nodir/file", true, "!"},
		{"/etc/passwd/x", true, "!"},
		{"/loop1", true, "!"},
		{"/loop1", false, "loop1"},
		{"/passwdlink", true, "etc/passwd"},
		{"/a/..", true, ""},
		{"/escape/..", true, ""},
	} {
		got, err := ResolveInRoot(root, tc.path, tc.follow)
		if tc.want == "!" {
			if err == nil {
				t.Errorf("ResolveInRoot(%q, %v) = %q, want an error", tc.path, tc.follow, got)
			}
			continue
		}
		want := filepath.Join(root, tc.want)
		if err != nil || got != want {
			t.Errorf("ResolveInRoot(%q, %v) = %q, %v; want %q", tc.path, tc.follow, got, err, want)
		}
	}
}

func FuzzResolveInRoot(f *testing.F) {
	for _, s := range []string{"/escape/x", "../../..", "/etclink/../../x", "/dangling", "a/b/back/../../.."} {
		f.Add(s, true)
	}
	root := cpRoot(f)
	f.Fuzz(func(t *testing.T, p string, follow bool) {
		if strings.ContainsRune(p, 0) {
			return
		}
		got, err := ResolveInRoot(root, p, follow)
		if err != nil {
			return
		}
		if got != root && !strings.HasPrefix(got, root+"/") {
			t.Fatalf("ResolveInRoot(%q) = %q, outside %q", p, got, root)
		}
	})
}

func TestCopyInOutPlacement(t *testing.T) {
	root := cpRoot(t)
	host := t.TempDir()
	src := filepath.Join(host, "f")
	os.WriteFile(src, []byte("hello"), 0o644)
	os.MkdirAll(filepath.Join(host, "d/sub"), 0o755)
	os.WriteFile(filepath.Join(host, "d/sub/g"), []byte("g"), 0o644)
	if os.Geteuid() != 0 {
		t.Skip("extraction chowns files: needs root (rpod runs it in its namespace)")
	}
	for _, tc := range []struct{ src, dst, want string }{
		{src, "/etc", "etc/f"},
		{src, "/escape", "f"},
		{src, "/etclink/renamed", "etc/renamed"},
		{src, "/data/new", "data/new"},
		{filepath.Join(host, "d"), "/data", "data/d/sub/g"},
		{filepath.Join(host, "d"), "/newdir", "newdir/sub/g"},
		{filepath.Join(host, "d") + "/.", "/a", "a/sub/g"},
	} {
		if err := CopyIn(root, tc.src, tc.dst, CopyOptions{}); err != nil {
			t.Errorf("CopyIn(%s, %s): %v", tc.src, tc.dst, err)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, tc.want)); err != nil {
			t.Errorf("CopyIn(%s, %s): %v", tc.src, tc.dst, err)
		}
	}
	if err := CopyIn(root, src, "/nodir/x", CopyOptions{}); err == nil {
		t.Errorf("CopyIn to a missing directory succeeded")
	}
	out := t.TempDir()
	if err := CopyOut(root, "/etclink/passwd", out); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "passwd")); err != nil || string(b) != "x" {
		t.Errorf("CopyOut: %q, %v", b, err)
	}
	if err := CopyOut(root, "/nosuch", out); err == nil || !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "could not find") {
		t.Errorf("CopyOut of a missing path: %v", err)
	}
}

// TestMain lets chrootarchive re-execute the test binary to unpack in a chroot.
func TestMain(m *testing.M) {
	if reexec.Init() {
		return
	}
	os.Exit(m.Run())
}
