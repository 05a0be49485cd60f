package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	for _, s := range []string{"first, longer", "second"} {
		if err := WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Errorf("got %q, want %q", b, s)
		}
	}
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	if err := WriteFile(filepath.Join(p, "x"), nil, 0o600); err == nil {
		t.Error("writing under a file succeeded")
	}
}

func TestSwapReplacesWhole(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	for _, s := range []string{"first, longer", "second", ""} {
		if err := Swap(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Errorf("got %q, want %q", b, s)
		}
		if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
			t.Errorf("files left besides the record: %v", ents)
		}
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode after a swap: %v %v", st, err)
	}
	if err := Swap(filepath.Join(p, "x"), nil, 0o600); err == nil {
		t.Error("writing under a file succeeded")
	}
}
