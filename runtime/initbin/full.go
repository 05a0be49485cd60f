package initbin

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// A light build of rpod (the rpodlight tag: no containers/image transfer
// code, some 4 ms less to start) carries the full rpod before its init
// step: the full program, then a block "RPODFULL" + the program's length
// (16 digits), then the init step's part as above. The full rpod runs from
// a memfd holding its program followed by that init part, so that it finds
// its own init step as a plain build does.
const (
	fullMagic = "RPODFULL"
	fullLen   = len(fullMagic) + 16
)

// FullFooter is the block make build writes after a full rpod of n bytes.
func FullFooter(n int64) string { return fmt.Sprintf("%s%016d", fullMagic, n) }

// Part is a byte range of a file.
type Part struct{ Off, N int64 }

// FindFull opens exe and locates the full rpod a light build carries: its
// program, and the init step's part that follows it in the memfd.
func FindFull(exe string) (f *os.File, prog, init Part, ok bool) {
	if Stamp == "" {
		return nil, Part{}, Part{}, false
	}
	f, err := os.Open(exe)
	if err != nil {
		return nil, Part{}, Part{}, false
	}
	prog, init, ok = locateFull(f, Stamp)
	if !ok {
		f.Close()
		return nil, Part{}, Part{}, false
	}
	return f, prog, init, true
}

func locateFull(f *os.File, stamp string) (prog, init Part, ok bool) {
	off, _, ok := locate(f, stamp)
	if !ok || off < int64(fullLen) {
		return Part{}, Part{}, false
	}
	st, err := f.Stat()
	if err != nil {
		return Part{}, Part{}, false
	}
	block := make([]byte, fullLen)
	if _, err := f.ReadAt(block, off-int64(fullLen)); err != nil || string(block[:len(fullMagic)]) != fullMagic {
		return Part{}, Part{}, false
	}
	n, err := strconv.ParseInt(string(block[len(fullMagic):]), 10, 64)
	start := off - int64(fullLen) - n
	if err != nil || n <= 0 || start <= 0 {
		return Part{}, Part{}, false
	}
	return Part{start, n}, Part{off, st.Size() - off}, true
}

// Memfd copies parts of src, in order, into a new memfd, in the kernel
// (sendfile), and seals it against any change: what it holds is run, and a
// container must not be able to write to it.
func Memfd(name string, src *os.File, parts ...Part) (int, error) {
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	// MFD_EXEC: an executable memfd, where the kernel (6.3+) wants it said.
	fd, err := unix.MemfdCreate(name, flags|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate(name, flags)
	}
	if err != nil {
		return -1, err
	}
	for _, p := range parts {
		if err := sendAll(fd, int(src.Fd()), p.Off, p.N); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	// F_SEAL_FUTURE_WRITE, not F_SEAL_WRITE: both refuse every later
	// write and writable mapping, and nothing ever mapped this memfd, but
	// F_SEAL_WRITE also waits up to 150 ms for the kernel's own transient
	// references to its pages to go, then fails with EBUSY (seen once in CI,
	// on rpod save).
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_FUTURE_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func sendAll(dst, src int, off, n int64) error {
	for n > 0 {
		w, err := unix.Sendfile(dst, src, &off, int(n))
		if err != nil {
			return err
		}
		if w == 0 {
			return errors.New("sendfile: short copy")
		}
		n -= int64(w)
	}
	return nil
}
