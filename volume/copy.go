package volume

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// CopyTree copies the tree at src into the existing directory dst keeping
// owners, modes, times, symlinks and hard links; src's root gives dst's
// root its owner and mode. Links in src are copied, never followed; device
// nodes are skipped (a user namespace cannot create them).
func CopyTree(src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return nil
	}
	type dirTimes struct {
		path string
		info fs.FileInfo
	}
	var dirs []dirTimes
	links := map[uint64]string{}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		sys, _ := info.Sys().(*syscall.Stat_t)
		switch mode := info.Mode(); {
		case mode.IsDir():
			if rel != "." {
				if err := os.Mkdir(t, 0o700); err != nil {
					return err
				}
			}
			dirs = append(dirs, dirTimes{t, info})
			return setMeta(t, info, sys)
		case mode&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(l, t); err != nil {
				return err
			}
			return setMeta(t, info, sys)
		case mode.IsRegular():
			if sys != nil && sys.Nlink > 1 {
				if first, ok := links[sys.Ino]; ok {
					return os.Link(first, t)
				}
				links[sys.Ino] = t
			}
			if err := copyFile(p, t); err != nil {
				return err
			}
			return setMeta(t, info, sys)
		case mode&fs.ModeNamedPipe != 0:
			if err := unix.Mkfifo(t, 0o600); err != nil {
				return err
			}
			return setMeta(t, info, sys)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Writing into a directory changes its mtime: set them children first.
	for i := len(dirs) - 1; i >= 0; i-- {
		mt := dirs[i].info.ModTime()
		os.Chtimes(dirs[i].path, mt, mt)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.OpenFile(src, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// setMeta gives t the owner, mode and mtime of info; chown comes first
// since it clears setuid bits.
func setMeta(t string, info fs.FileInfo, sys *syscall.Stat_t) error {
	if sys != nil {
		if err := os.Lchown(t, int(sys.Uid), int(sys.Gid)); err != nil {
			return fmt.Errorf("chown %s: %w", t, err)
		}
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		ts := []unix.Timespec{unix.NsecToTimespec(info.ModTime().UnixNano()), unix.NsecToTimespec(info.ModTime().UnixNano())}
		unix.UtimesNanoAt(unix.AT_FDCWD, t, ts, unix.AT_SYMLINK_NOFOLLOW)
		return nil
	}
	if err := os.Chmod(t, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	if !info.IsDir() {
		os.Chtimes(t, info.ModTime(), info.ModTime())
	}
	return nil
}

// Chown gives the tree at p to uid:gid (the U option), without following links.
func Chown(p string, uid, gid int) error {
	return filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(q, uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", q, err)
		}
		return nil
	})
}
