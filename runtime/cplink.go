package runtime

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// linkTar is the tar of src when it is a symlink: one entry, name, holding
// the link itself. ok is false when src is not a symlink. With a root, src's
// directory is opened through the kernel inside the root, so a directory
// the container swaps for a symlink meanwhile cannot make it read a link
// of the host.
func linkTar(src, name, root string) (rc io.ReadCloser, ok bool, err error) {
	dir, base := filepath.Split(src)
	var dirfd int
	if root == "" {
		dirfd, err = unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	} else {
		rel, rerr := filepath.Rel(filepath.Clean(root), filepath.Clean(dir))
		if rerr != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, false, fmt.Errorf("%s: %w", src, ErrOutsideRoot)
		}
		var rootfd int
		if rootfd, err = unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			dirfd, err = openInRoot(rootfd, rel, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC)
			unix.Close(rootfd)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", dir, err)
	}
	defer unix.Close(dirfd)
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, false, fmt.Errorf("%s: %w", base, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return nil, false, nil
	}
	target, err := readlinkat(dirfd, base)
	if err != nil {
		return nil, false, fmt.Errorf("read the symlink %s: %w", base, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeSymlink, Name: name, Linkname: target,
		Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()),
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, false, fmt.Errorf("tar the symlink %s: %w", base, err)
	}
	if err := tw.Close(); err != nil {
		return nil, false, err
	}
	return io.NopCloser(&buf), true, nil
}

// readlinkat reads the symlink name in dirfd, whatever its length.
func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		b := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, b)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(b[:n]), nil
		}
	}
}
