// Package initbin finds the container init step that `make build` appends
// to rpod's executable (cmd/rpod-init, runtime/step): a small static C
// program, whose start costs a fraction of a Go program's.
//
// The executable ends with the init program, the build's stamp and a
// footer "RPODINIT" + the program's length (16 digits) + the stamp's (4).
// The kernel loads an ELF file by its headers and ignores what follows.
package initbin

import (
	"fmt"
	"os"
	"strconv"
)

// Stamp is set with -X by `make build` to the stamp of the init it
// appends; empty in a plain go build.
var Stamp string

const (
	magic     = "RPODINIT"
	footerLen = len(magic) + 16 + 4
)

// Footer returns the footer for an init program of n bytes and stamp.
func Footer(n int64, stamp string) string {
	return fmt.Sprintf("%s%016d%04d", magic, n, len(stamp))
}

// Find opens exe and returns where in it the appended init program lies,
// or ok false when exe carries none built with this binary's Stamp: an
// init from another build may not speak its Spec.
func Find(exe string) (f *os.File, off, n int64, ok bool) {
	if Stamp == "" {
		return nil, 0, 0, false
	}
	f, err := os.Open(exe)
	if err != nil {
		return nil, 0, 0, false
	}
	off, n, ok = locate(f, Stamp)
	if !ok {
		f.Close()
		return nil, 0, 0, false
	}
	return f, off, n, true
}

// locate reads the footer and the stamp at the end of f.
func locate(f *os.File, stamp string) (off, n int64, ok bool) {
	st, err := f.Stat()
	if err != nil || st.Size() < int64(footerLen+len(stamp)) {
		return 0, 0, false
	}
	size := st.Size()
	foot := make([]byte, footerLen)
	if _, err := f.ReadAt(foot, size-int64(footerLen)); err != nil || string(foot[:len(magic)]) != magic {
		return 0, 0, false
	}
	n, err1 := strconv.ParseInt(string(foot[len(magic):len(magic)+16]), 10, 64)
	sl, err2 := strconv.Atoi(string(foot[len(magic)+16:]))
	if err1 != nil || err2 != nil || sl != len(stamp) || n <= 0 {
		return 0, 0, false
	}
	got := make([]byte, sl)
	stampOff := size - int64(footerLen) - int64(sl)
	if _, err := f.ReadAt(got, stampOff); err != nil || string(got) != stamp {
		return 0, 0, false
	}
	off = stampOff - n
	if off <= 0 {
		return 0, 0, false
	}
	return off, n, true
}
