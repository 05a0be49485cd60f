package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount is one user mount: a bind of a host path (named volumes are binds
// of their _data directory) or a tmpfs.
type Mount struct {
	Type        string `json:"type"` // "bind" or "tmpfs"
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"readOnly,omitempty"`
	// Options are mount flags by name: nosuid, nodev, noexec.
	Options []string `json:"options,omitempty"`
	// Data is a tmpfs's mount data (size=, mode=).
	Data string `json:"data,omitempty"`
	// Chown gives the source to the container's user at create (U).
	Chown bool `json:"chown,omitempty"`
}

// UserConfig is what a container records beyond its spec: the named volumes
// it uses (so that rpod volume rm can refuse), its labels and annotations.
type UserConfig struct {
	Volumes     []string          `json:"volumes,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Entrypoint and Command are the two parts of Spec.Args, for inspect.
	Entrypoint []string `json:"entrypoint,omitempty"`
	Command    []string `json:"command,omitempty"`
}

// ErrEscapesRoot is returned by ResolveIn for a path that leaves the root.
var ErrEscapesRoot = errors.New("the path goes through a symlink that leaves the container's root")

// ResolveIn resolves p inside root as the container would see it: symlinks
// are followed with absolute targets taken from root, and a ".." that would
// climb above root is refused. Missing components are kept as named.
func ResolveIn(root, p string) (string, error) {
	var done []string
	pending := strings.Split(filepath.Clean("/"+p), "/")
	links := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", fmt.Errorf("%s: %w", p, ErrEscapesRoot)
			}
			done = done[:len(done)-1]
			continue
		}
		cur := filepath.Join(root, filepath.Join(done...), c)
		st, err := os.Lstat(cur)
		switch {
		case errors.Is(err, os.ErrNotExist):
			done = append(done, c)
			continue
		case err != nil:
			return "", err
		case st.Mode()&os.ModeSymlink == 0:
			done = append(done, c)
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		dest, err := os.Readlink(cur)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(dest) {
			done = nil
		}
		pending = append(strings.Split(dest, "/"), pending...)
	}
	return filepath.Join(root, filepath.Join(done...)), nil
}

// openTarget resolves dst in root, creates it as a directory or an empty
// file when missing, and opens it without following a link: the caller
// mounts on /proc/self/fd/N, so a path swapped after the check is not used.
func openTarget(root, dst string, dir bool) (*os.File, error) {
	t, err := ResolveIn(root, dst)
	if err != nil {
		return nil, fmt.Errorf("mount target %s: %w", dst, err)
	}
	if _, err := os.Lstat(t); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(t), 0o755); err != nil {
			return nil, fmt.Errorf("create mount target %s: %w", dst, err)
		}
		if dir {
			err = os.Mkdir(t, 0o755)
		} else {
			var f *os.File
			if f, err = os.OpenFile(t, os.O_CREATE|os.O_EXCL|os.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644); err == nil {
				f.Close()
			}
		}
		if err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create mount target %s: %w", dst, err)
		}
	}
	fd, err := unix.Open(t, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open mount target %s: %w", dst, err)
	}
	f := os.NewFile(uintptr(fd), t)
	if got, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil || got != t {
		f.Close()
		return nil, fmt.Errorf("mount target %s changed while rpod set it up: refusing it", dst)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("mount target %s: %w", dst, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		f.Close()
		return nil, fmt.Errorf("mount target %s is a symlink: refusing to follow it", dst)
	}
	if isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR; isDir != dir {
		f.Close()
		want := "a file"
		if dir {
			want = "a directory"
		}
		return nil, fmt.Errorf("mount target %s in the image is not %s like the source", dst, want)
	}
	return f, nil
}

var mountFlags = map[string]uintptr{"nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV, "noexec": unix.MS_NOEXEC}

// mountUser mounts the user's volumes, binds and tmpfs into root, parents
// before children, then makes the rootfs read-only if asked. It runs in the
// init step before pivot_root.
func mountUser(root string, s *Spec) error {
	if len(s.Mounts) == 0 && !s.ReadOnly {
		return nil
	}
	// openTarget compares the kernel's path of each target with the one it
	// resolved: start from the rootfs's real path.
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	ms := append([]Mount{}, s.Mounts...)
	sort.SliceStable(ms, func(i, j int) bool {
		return depth(ms[i].Destination) < depth(ms[j].Destination)
	})
	for _, m := range ms {
		if err := mountOne(real, m); err != nil {
			return err
		}
	}
	if s.ReadOnly {
		return remountRO(root)
	}
	return nil
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }

func mountOne(root string, m Mount) error {
	var flags uintptr
	for _, o := range m.Options {
		flags |= mountFlags[o]
	}
	switch m.Type {
	case "tmpfs":
		f, err := openTarget(root, m.Destination, true)
		if err != nil {
			return err
		}
		defer f.Close()
		if m.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		if err := unix.Mount("tmpfs", procFd(f), "tmpfs", flags, m.Data); err != nil {
			return fmt.Errorf("mount tmpfs on %s: %w", m.Destination, err)
		}
		return nil
	case "bind":
		st, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("statfs %s: %w", m.Source, errors.Unwrap(err))
		}
		f, err := openTarget(root, m.Destination, st.IsDir())
		if err != nil {
			return err
		}
		defer f.Close()
		if err := unix.Mount(m.Source, procFd(f), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s on %s: %w", m.Source, m.Destination, err)
		}
		// The new mount covers the opened target: find it again by path,
		// which openTarget has just checked.
		if m.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		if flags != 0 {
			return remountBind(f.Name(), flags)
		}
		return nil
	}
	return fmt.Errorf("unknown mount type %q for %s", m.Type, m.Destination)
}

func procFd(f *os.File) string { return fmt.Sprintf("/proc/self/fd/%d", f.Fd()) }

// remountBind adds flags (ro, nosuid, ...) to a bind mount, keeping those
// the kernel locked on it in the user namespace, as remountRO does.
func remountBind(p string, flags uintptr) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", p, err)
	}
	keep := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_RDONLY)
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|keep|flags, ""); err != nil {
		return fmt.Errorf("remount %s: %w", p, err)
	}
	return nil
}
