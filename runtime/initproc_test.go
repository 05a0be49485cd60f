package runtime

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckInit(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("x"), 0o644)
	for _, tc := range []struct{ path, wantErr string }{
		{filepath.Join(dir, "missing"), "no such file"},
		{dir, "not an executable file"},
		{plain, "not an executable file"},
		{script, "not an ELF executable"},
	} {
		if _, err := CheckInit(tc.path); err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("CheckInit(%s) = %v, want %q naming the path", tc.path, err, tc.wantErr)
		}
	}
	// A dynamically linked host binary is refused.
	if f, err := elf.Open("/bin/ls"); err == nil {
		dynamic := false
		for _, p := range f.Progs {
			dynamic = dynamic || p.Type == elf.PT_INTERP
		}
		f.Close()
		if _, err := CheckInit("/bin/ls"); dynamic && (err == nil || !strings.Contains(err.Error(), "dynamically linked")) {
			t.Errorf("CheckInit(/bin/ls) = %v, want dynamically linked", err)
		}
	}
	if _, err := os.Stat("/usr/bin/catatonit"); err == nil {
		got, err := CheckInit("/usr/bin/catatonit")
		if err != nil || !filepath.IsAbs(got) {
			t.Errorf("CheckInit(catatonit) = %q, %v", got, err)
		}
	}
}

func TestFindInit(t *testing.T) {
	saved := InitSearchPath
	t.Cleanup(func() { InitSearchPath = saved })
	dir := t.TempDir()
	InitSearchPath = []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	if _, err := FindInit(); !errors.Is(err, ErrNoInit) {
		t.Errorf("no init: err = %v", err)
	}
	if ErrNoInit.Error() != "--init: no init binary found: install catatonit (apt install catatonit) or give --init-path" {
		t.Errorf("message changed: %v", ErrNoInit)
	}
	os.WriteFile(filepath.Join(dir, "a"), []byte("#!/bin/sh\n"), 0o755)
	if _, err := FindInit(); err == nil || !strings.Contains(err.Error(), "not an ELF") {
		t.Errorf("only a script: err = %v", err)
	}
	if _, err := os.Stat("/usr/bin/catatonit"); err == nil {
		InitSearchPath = append(InitSearchPath, "/usr/bin/catatonit")
		if got, err := FindInit(); err != nil || got == "" {
			t.Errorf("FindInit with catatonit last = %q, %v", got, err)
		}
	}
}
