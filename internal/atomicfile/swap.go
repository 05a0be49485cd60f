package atomicfile

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Swap writes b to path as WriteFile does, for records that need not
// outlive a crash: it exchanges a temporary file with path and removes
// the old one, where WriteFile renames over it. ext4 flushes the data of
// a file renamed over another before the rename (auto_da_alloc), which
// keeps it whole across a crash and costs some 0.3 ms a write; after a
// crash a swapped file may be empty.
func Swap(path string, b []byte, perm os.FileMode) error {
	// A temporary file of its own: two writers exchanging the same one
	// could put the older record back.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		// No old file, or a filesystem that cannot exchange.
		err = os.Rename(tmp, path)
	case err != nil:
		err = &os.LinkError{Op: "exchange", Old: tmp, New: path, Err: err}
	}
	os.Remove(tmp) // the old record, or what failed to replace it
	return err
}
