package runtime

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestTarOfSymlink: a symlink source is tarred as the link itself, one
// entry under the name asked for, wherever it points.
func TestTarOfSymlink(t *testing.T) {
	root := cpRoot(t)
	for _, tc := range []struct{ src, target string }{
		{"escape", "/../../../.."},
		{"passwdlink", "/etc/passwd"},
		{"dangling", "/data/new"},
		{"danglingout", "/../../../nowhere/x"},
		{"a/b/back", "../../data"},
	} {
		for _, r := range []string{root, ""} {
			rc, err := tarOf(filepath.Join(root, tc.src), "renamed", false, r)
			if err != nil {
				t.Errorf("tarOf(%s, root %q): %v", tc.src, r, err)
				continue
			}
			tr := tar.NewReader(rc)
			h, err := tr.Next()
			if err != nil || h.Typeflag != tar.TypeSymlink || h.Name != "renamed" || h.Linkname != tc.target {
				t.Errorf("tarOf(%s, root %q): %+v %v, want a symlink to %s", tc.src, r, h, err, tc.target)
			} else if _, err := tr.Next(); err != io.EOF {
				t.Errorf("tarOf(%s, root %q): a second entry (%v)", tc.src, r, err)
			}
			rc.Close()
		}
	}
	// Not a symlink: linkTar leaves it to the archive package.
	if _, ok, err := linkTar(filepath.Join(root, "etc/passwd"), "passwd", root); ok || err != nil {
		t.Errorf("linkTar of a file: %v %v", ok, err)
	}
	if _, _, err := linkTar(filepath.Join(root, "nosuch/x"), "x", root); err == nil {
		t.Errorf("linkTar of a missing path succeeded")
	}
}

// TestCopyOutSymlink: copied out, a link outside the root lands as a link.
func TestCopyOutSymlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("extraction chowns files: needs root (rpod runs it in its namespace)")
	}
	root := cpRoot(t)
	out := t.TempDir()
	for src, target := range map[string]string{"/passwdlink": "/etc/passwd", "/danglingout": "/../../../nowhere/x"} {
		dst := filepath.Join(out, filepath.Base(src))
		if err := CopyOut(root, src, dst); err != nil {
			t.Errorf("CopyOut(%s): %v", src, err)
			continue
		}
		if got, err := os.Readlink(dst); err != nil || got != target {
			t.Errorf("CopyOut(%s): readlink %q %v, want %s", src, got, err, target)
		}
	}
}
