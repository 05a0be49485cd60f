package e2e

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCpSymlinkOut: a symlink source is copied as a symlink, whether it
// points out of the container's root, nowhere or somewhere inside, and is
// never followed out of the root; a trailing /. or a path through it
// resolves it inside the root, as podman does.
func TestCpSymlinkOut(t *testing.T) {
	cpContainer(t, "cp-link", `ln -s /etc/passwd /abs; ln -s /nowhere/at/all /dangling; ln -s ../../../../../.. /up; ln -s /etc /etcdir; ln -s passwd /etc/rel`)
	ok(t, baseEnv, "start", "-a", "cp-link")
	out := t.TempDir()
	for src, target := range map[string]string{"/abs": "/etc/passwd", "/dangling": "/nowhere/at/all", "/up": "../../../../../..", "/etc/rel": "passwd"} {
		dst := filepath.Join(out, "l"+strings.ReplaceAll(src, "/", "_"))
		ok(t, baseEnv, "cp", "cp-link:"+src, dst)
		if got, err := os.Readlink(dst); err != nil || got != target {
			t.Errorf("cp %s %s: readlink %q %v, want a symlink to %s", src, dst, got, err, target)
		}
	}
	// Into an existing directory, under its own name.
	dir := filepath.Join(out, "into")
	os.Mkdir(dir, 0o755)
	ok(t, baseEnv, "cp", "cp-link:/abs", dir)
	if got, err := os.Readlink(filepath.Join(dir, "abs")); err != nil || got != "/etc/passwd" {
		t.Errorf("cp /abs DIR: readlink %q %v", got, err)
	}
	// As a tar stream: one symlink entry.
	r := run(baseEnv, nil, "cp", "cp-link:/dangling", "-")
	if r.Code != 0 {
		t.Fatalf("cp /dangling -: exit %d %s", r.Code, r.Err)
	}
	tr := tar.NewReader(strings.NewReader(r.Out))
	if h, err := tr.Next(); err != nil || h.Typeflag != tar.TypeSymlink || h.Name != "dangling" || h.Linkname != "/nowhere/at/all" {
		t.Errorf("cp /dangling -: first entry %+v %v, want the symlink", h, err)
	} else if _, err := tr.Next(); err == nil {
		t.Errorf("cp /dangling -: more than one entry")
	}
	// Through the link, or with /., it resolves inside the root: the
	// container's passwd, not the host's.
	me := filepath.Base(os.Getenv("HOME"))
	check := func(what, p string) {
		t.Helper()
		b, err := os.ReadFile(p)
		if fi, lerr := os.Lstat(p); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			t.Errorf("%s: %s is a symlink", what, p)
		}
		if err != nil || !strings.HasPrefix(string(b), "root:") || strings.Contains(string(b), "\n"+me+":") {
			t.Errorf("%s: %q %v, want the container's passwd", what, b, err)
		}
	}
	ok(t, baseEnv, "cp", "cp-link:/etcdir/passwd", filepath.Join(out, "viadir"))
	check("cp /etcdir/passwd", filepath.Join(out, "viadir"))
	ok(t, baseEnv, "cp", "cp-link:/up/etc/passwd", filepath.Join(out, "viaup"))
	check("cp /up/etc/passwd", filepath.Join(out, "viaup"))
	ok(t, baseEnv, "cp", "cp-link:/etcdir/.", filepath.Join(out, "etc"))
	check("cp /etcdir/.", filepath.Join(out, "etc", "passwd"))
	// What cannot be copied is an error, one line naming it.
	wantError(t, run(baseEnv, nil, "cp", "cp-link:/dangling/.", filepath.Join(out, "none")), 125, "/dangling")
	if _, err := os.Lstat(filepath.Join(out, "none")); err == nil {
		t.Errorf("a failed cp wrote %s", filepath.Join(out, "none"))
	}
}

// TestCpSymlinkIn: a host symlink copied in lands as a symlink, even one
// that points out of its directory or nowhere.
func TestCpSymlinkIn(t *testing.T) {
	cpContainer(t, "cp-linkin", "for l in /tmp/hostabs /tmp/hostdangling /tmp/renamed; do readlink $l; done")
	dir := t.TempDir()
	for name, target := range map[string]string{"hostabs": "/etc/hostname", "hostdangling": "../../no/such/file"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		ok(t, baseEnv, "cp", filepath.Join(dir, name), "cp-linkin:/tmp")
	}
	ok(t, baseEnv, "cp", filepath.Join(dir, "hostabs"), "cp-linkin:/tmp/renamed")
	if out := ok(t, baseEnv, "start", "-a", "cp-linkin"); out != "/etc/hostname\n../../no/such/file\n/etc/hostname\n" {
		t.Errorf("the container reads links %q", out)
	}
}
