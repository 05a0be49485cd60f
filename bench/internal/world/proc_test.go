package world

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Proc
		ok   bool
	}{
		{"12 (sleep) S 7 12 12 0", Proc{PPid: 7, Comm: "sleep"}, true},
		{"12 (a) b) (c) R 3 1", Proc{PPid: 3, Comm: "a) b) (c"}, true},
		{"12 sleep S 7", Proc{}, false},
		{"12 (x) S", Proc{}, false},
	} {
		got, ok := parseStat(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseSmapsRollup(t *testing.T) {
	in := "55d0-7ffe ---p 00000000 00:00 0  [rollup]\nRss: 100 kB\nPss: 40 kB\nPss_Anon: 30 kB\nPss_File: 10 kB\nPrivate_Clean: 5 kB\nPrivate_Dirty: 20 kB\n"
	m, err := parseSmapsRollup(1, []byte(in))
	want := Mem{Rss: 100, Pss: 40, Uss: 25, PssAnon: 30, PssFile: 10}
	if err != nil || m != want {
		t.Errorf("got %+v, %v; want %+v", m, err, want)
	}
	if _, err := parseSmapsRollup(1, []byte("Pss: 4 kB\n")); err == nil {
		t.Error("no Rss line: want an error")
	}
}

func TestProcTableSelf(t *testing.T) {
	tab := ProcTable()
	self, ok := tab[os.Getpid()]
	if !ok || self.PPid != os.Getppid() {
		t.Fatalf("own entry %+v, %v; want parent %d", self, ok, os.Getppid())
	}
	if !Subtree(tab, self.PPid)[os.Getpid()] {
		t.Error("Subtree of the parent misses this process")
	}
}

func TestMemfdSetSelf(t *testing.T) {
	fd, err := unix.MemfdCreate("bench-test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Skip("memfd_create:", err)
	}
	defer syscall.Close(fd)
	data := make([]byte, 64*1024)
	for i := range data {
		data[i] = 1
	}
	if _, err := syscall.Write(fd, data); err != nil {
		t.Fatal(err)
	}
	var s MemfdSet
	s.Add(os.Getpid())
	s.Add(os.Getpid()) // counted once
	if s.KiB < 64 || s.KiB > 128 {
		t.Errorf("memfd of 64 KiB counted as %d KiB", s.KiB)
	}
}
