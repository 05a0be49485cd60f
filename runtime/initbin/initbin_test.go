package initbin

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLocate(t *testing.T) {
	prog := "\x7fELF...the init program..."
	for _, tc := range []struct {
		name, file, stamp string
		ok                bool
	}{
		{"appended", "rpod-binary" + prog + "s1" + Footer(int64(len(prog)), "s1"), "s1", true},
		{"other stamp", "rpod-binary" + prog + "s2" + Footer(int64(len(prog)), "s2"), "s1", false},
		{"plain build", "rpod-binary with nothing appended at all, longer than a footer", "s1", false},
		{"short file", "x", "s1", false},
		{"length past the start", "rp" + prog + "s1" + Footer(int64(len(prog)+10), "s1"), "s1", false},
		{"bad digits", "rpod-binary" + prog + "s1" + "RPODINIT00000000000000x90002", "s1", false},
	} {
		p := filepath.Join(t.TempDir(), "exe")
		if err := os.WriteFile(p, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		f, _ := os.Open(p)
		off, n, ok := locate(f, tc.stamp)
		f.Close()
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if ok && tc.file[off:off+n] != prog {
			t.Errorf("%s: found %q", tc.name, tc.file[off:off+n])
		}
	}
}

func FuzzLocate(f *testing.F) {
	f.Add([]byte("rpod-binary" + "prog" + "s1" + Footer(4, "s1")))
	f.Add([]byte("RPODINIT99999999999999990002"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "exe")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		fh, _ := os.Open(p)
		defer fh.Close()
		off, n, ok := locate(fh, "s1")
		if ok && (off <= 0 || n <= 0 || off+n > int64(len(b))) {
			t.Fatalf("locate: off %d n %d outside %d bytes", off, n, len(b))
		}
	})
}

func TestLocateFull(t *testing.T) {
	full, init := "\x7fELF...the full rpod...", "\x7fELF...the init program..."
	initPart := init + "s1" + Footer(int64(len(init)), "s1")
	for _, tc := range []struct {
		name, file string
		ok         bool
	}{
		{"carried", "light-rpod" + full + FullFooter(int64(len(full))) + initPart, true},
		{"init only", "light-rpod" + initPart, false},
		{"length past the start", "l" + full + FullFooter(int64(len(full)+5)) + initPart, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "rpod")
			if err := os.WriteFile(p, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			prog, ip, ok := locateFull(f, "s1")
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if got := tc.file[prog.Off : prog.Off+prog.N]; got != full {
				t.Errorf("program = %q", got)
			}
			if got := tc.file[ip.Off : ip.Off+ip.N]; got != initPart {
				t.Errorf("init part = %q", got)
			}
		})
	}
}

func TestMemfdSealed(t *testing.T) {
	file := "headFULLinitTail"
	p := filepath.Join(t.TempDir(), "rpod")
	if err := os.WriteFile(p, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fd, err := Memfd("rpod-test", src, Part{4, 4}, Part{8, 4})
	if err != nil {
		t.Fatal(err)
	}
	m := os.NewFile(uintptr(fd), "rpod-test")
	defer m.Close()
	got, err := io.ReadAll(io.NewSectionReader(m, 0, 64))
	if err != nil || string(got) != "FULLinit" {
		t.Fatalf("memfd holds %q (%v), want %q", got, err, "FULLinit")
	}
	if _, err := m.WriteAt([]byte("x"), 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("write: %v, want EPERM", err)
	}
	if err := m.Truncate(1); !errors.Is(err, unix.EPERM) {
		t.Errorf("truncate: %v, want EPERM", err)
	}
	if b, err := unix.Mmap(fd, 0, 8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err == nil {
		unix.Munmap(b)
		t.Error("a writable shared mapping was allowed")
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_WRITE); !errors.Is(err, unix.EPERM) {
		t.Errorf("adding a seal: %v, want EPERM (sealed against more seals)", err)
	}
}
