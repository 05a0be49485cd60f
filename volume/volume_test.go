package volume

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestStore(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	v, err := s.Create("data", map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "volumes", "data", "_data"); v.Mountpoint != want || !v.NeedsCopyUp {
		t.Errorf("volume %+v, want mountpoint %s", v, want)
	}
	if _, err := s.Create("data", nil); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate create: %v", err)
	}
	if _, err := s.Create("../x", nil); err == nil {
		t.Error("created a volume named ../x")
	}
	anon, created, err := s.GetOrCreate("")
	if err != nil || !created || len(anon.Name) != 64 || !anon.Anonymous {
		t.Errorf("anonymous volume %+v %v %v", anon, created, err)
	}
	if _, created, _ := s.GetOrCreate("data"); created {
		t.Error("GetOrCreate recreated an existing volume")
	}
	list, _ := s.List()
	if len(list) != 2 {
		t.Errorf("List = %d volumes, want 2", len(list))
	}
	if err := s.Remove("data"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("data"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Remove: %v", err)
	}
	if err := s.Remove("data"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: %v", err)
	}
}

func TestCopyUpOnce(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o750)
	os.WriteFile(filepath.Join(src, "sub", "f"), []byte("x"), 0o640)
	os.Link(filepath.Join(src, "sub", "f"), filepath.Join(src, "hard"))
	os.Symlink("/etc/shadow", filepath.Join(src, "link"))
	os.Chmod(src, 0o711)
	s := New(root)
	v, _ := s.Create("c", nil)
	if err := s.CopyUpOnce("c", src); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(v.Mountpoint, "sub", "f")); string(b) != "x" {
		t.Errorf("copied file = %q", b)
	}
	if l, _ := os.Readlink(filepath.Join(v.Mountpoint, "link")); l != "/etc/shadow" {
		t.Errorf("symlink copied as %q", l)
	}
	st1, _ := os.Stat(filepath.Join(v.Mountpoint, "sub", "f"))
	st2, _ := os.Stat(filepath.Join(v.Mountpoint, "hard"))
	if !os.SameFile(st1, st2) || st1.Mode().Perm() != 0o640 {
		t.Errorf("hard link or mode lost: same=%v mode=%v", os.SameFile(st1, st2), st1.Mode())
	}
	if st, _ := os.Stat(v.Mountpoint); st.Mode().Perm() != 0o711 {
		t.Errorf("volume root mode %v, want the image directory's 0711", st.Mode())
	}
	os.Remove(filepath.Join(v.Mountpoint, "hard"))
	if err := s.CopyUpOnce("c", src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(v.Mountpoint, "hard")); err == nil {
		t.Error("copied up a second time")
	}
}
