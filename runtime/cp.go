package runtime

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"
)

// ErrOutsideRoot is returned when a container path resolves outside the container's root.
var ErrOutsideRoot = errors.New("path escapes the container's root")

// maxSymlinks bounds the dangling-symlink chain ResolveInRoot follows, as the kernel's ELOOP does.
const maxSymlinks = 40

// ResolveInRoot gives the host path of p inside root, following symlinks
// (absolute ones and "..") as if root were "/", so the result never leaves
// root. The last component need not exist, but its directory must; when
// followLast is false a symlink as last component is not followed.
func ResolveInRoot(root, p string, followLast bool) (string, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("container root: %w", err)
	}
	fd, err := unix.Open(real, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("container root: %w", err)
	}
	defer unix.Close(fd)
	r := resolver{rootfd: fd, root: real}
	return r.resolve(p, followLast, 0)
}

type resolver struct {
	rootfd int
	root   string
}

func (r resolver) resolve(p string, followLast bool, depth int) (string, error) {
	if depth > maxSymlinks {
		return "", fmt.Errorf("%s: %w", p, unix.ELOOP)
	}
	p = strings.TrimRight("/"+strings.TrimLeft(p, "/"), "/")
	if p == "" {
		return r.root, nil
	}
	dir, base := path.Split(p)
	if base == "." || base == ".." {
		// Only the kernel knows where ".." leads from a symlinked directory.
		return r.open(p)
	}
	if followLast {
		host, err := r.open(p)
		if !errors.Is(err, unix.ENOENT) {
			return host, err
		}
	}
	hostDir, err := r.resolve(dir, true, depth)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(hostDir); err != nil {
		return "", fmt.Errorf("%s: %w", path.Clean(dir), unwrapPath(err))
	} else if !fi.IsDir() {
		return "", fmt.Errorf("%s: %w", path.Clean(dir), unix.ENOTDIR)
	}
	host := filepath.Join(hostDir, base)
	fi, err := os.Lstat(host)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return host, nil
	case err != nil:
		return "", err
	case !followLast || fi.Mode()&fs.ModeSymlink == 0:
		return host, nil
	}
	// A dangling symlink: where it points, resolved again from the root.
	target, err := os.Readlink(host)
	if err != nil {
		return "", err
	}
	if !path.IsAbs(target) {
		target = r.inside(hostDir) + "/" + target
	}
	return r.resolve(target, true, depth+1)
}

// open resolves p with the kernel, which keeps every step inside the root.
func (r resolver) open(p string) (string, error) {
	fd, err := openInRoot(r.rootfd, p, unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	defer unix.Close(fd)
	host, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", err
	}
	if host != r.root && !strings.HasPrefix(host, r.root+"/") {
		return "", fmt.Errorf("%s: %w", p, ErrOutsideRoot)
	}
	return host, nil
}

// openInRoot is openat2 with RESOLVE_IN_ROOT. The kernel answers EAGAIN
// for a ".." when any rename or mount on the system raced with the walk
// (other containers starting do that): it asks to be retried.
func openInRoot(rootfd int, p string, flags uint64) (int, error) {
	how := &unix.OpenHow{Flags: flags, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(rootfd, p, how)
		if err != unix.EAGAIN || i == 1000 {
			return fd, err
		}
	}
}

// inside is the container path of a host path under the root.
func (r resolver) inside(host string) string {
	return "/" + strings.TrimPrefix(strings.TrimPrefix(host, r.root), "/")
}

// CopyOptions tunes the copy functions.
type CopyOptions struct {
	// Archive keeps the source's owners instead of giving files to the destination's root.
	Archive bool
	// UserNS is the container's: a keep-id or nomap container's ids are
	// shifted from rpod's, so its root and owners are found through its map.
	UserNS UserNS
}

// rootOwner is uid/gid 0 in rpod's namespace: root in a container, the user on the host.
var rootOwner = &idtools.IDPair{UID: 0, GID: 0}

// CopyIn copies the host path src into the container rooted at root as dst.
func CopyIn(root, src, dst string, o CopyOptions) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return fmt.Errorf("%s: %w", src, unwrapPath(err))
	}
	host, err := ResolveInRoot(root, dst, true)
	if err != nil {
		return fmt.Errorf("%s in the container: %w", dst, err)
	}
	dir, name, contents, err := place(host, dst, src, fi.IsDir())
	if err != nil {
		return err
	}
	if fi.IsDir() {
		// The archive package logs and skips what it cannot read: say it instead.
		if err := readable(src); err != nil {
			return err
		}
	}
	rc, err := tarOf(src, name, contents, "")
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	defer rc.Close()
	if err := untarIn(root, rc, dir, o); err != nil {
		return err
	}
	return landed(dir, name, contents, src)
}

// CopyInStream extracts the tar stream r into the container directory dst.
func CopyInStream(root string, r io.Reader, dst string, o CopyOptions) error {
	host, err := ResolveInRoot(root, dst, true)
	if err != nil {
		return fmt.Errorf("%s in the container: %w", dst, err)
	}
	if fi, err := os.Stat(host); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s in the container is not a directory: a tar stream is extracted into an existing directory", dst)
	}
	return untarIn(root, r, host, o)
}

func untarIn(root string, r io.Reader, dir string, o CopyOptions) error {
	opts := &archive.TarOptions{}
	if !o.Archive {
		uid, gid, ok := o.UserNS.HostIDs(0, 0)
		if !ok {
			return fmt.Errorf("copy into the container: its root is not mapped")
		}
		opts.ChownOpts = &idtools.IDPair{UID: uid, GID: gid}
	} else if o.UserNS.nested() {
		opts.UIDMaps, opts.GIDMaps = o.UserNS.UIDMap, o.UserNS.GIDMap
	}
	// Extracted chrooted at the root: no entry of the tar, nor a symlink the
	// container swaps in meanwhile, can write outside it.
	if err := chrootarchive.UntarWithRoot(r, dir, opts, root); err != nil {
		return fmt.Errorf("copy into the container: %w", err)
	}
	return nil
}

// CopyOut copies src of the container rooted at root to the host path dst;
// the files belong to the user.
func CopyOut(root, src, dst string) error {
	host, fi, err := statIn(root, src)
	if err != nil {
		return err
	}
	dir, name, contents, err := place(dst, dst, src, fi.IsDir())
	if err != nil {
		return err
	}
	rc, err := tarOf(host, name, contents, root)
	if err != nil {
		return fmt.Errorf("read %s in the container: %w", src, err)
	}
	defer rc.Close()
	if err := archive.Untar(rc, dir, &archive.TarOptions{ChownOpts: rootOwner}); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return landed(dir, name, contents, src)
}

// landed checks that a copy made its entry: the archive package skips a
// source it cannot read with no more than a log line.
func landed(dir, name string, contents bool, src string) error {
	if contents {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("%s could not be copied: nothing was written", src)
	}
	return nil
}

// readable walks the host directory src and names the first directory or
// file in it that cannot be read.
func readable(src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			var f *os.File
			if f, err = os.Open(p); err == nil {
				f.Close()
			}
		}
		if err != nil {
			return fmt.Errorf("cannot read %s: %w: nothing was copied", p, unwrapPath(err))
		}
		return nil
	})
}

// CopyOutStream writes src of the container as a tar stream to w.
func CopyOutStream(root, src string, w io.Writer) error {
	host, fi, err := statIn(root, src)
	if err != nil {
		return err
	}
	name := filepath.Base(host)
	if host == root {
		name = "."
	}
	rc, err := tarOf(host, name, wantsContents(src) && fi.IsDir(), root)
	if err != nil {
		return fmt.Errorf("read %s in the container: %w", src, err)
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

// statIn resolves a copy source in the container: a trailing "/" or "/."
// follows a symlink, as cp -r does, else the symlink itself is copied.
func statIn(root, src string) (string, fs.FileInfo, error) {
	follow := strings.HasSuffix(src, "/") || wantsContents(src)
	host, err := ResolveInRoot(root, src, follow)
	if err != nil {
		return "", nil, fmt.Errorf("%s in the container: %w", src, err)
	}
	fi, err := os.Lstat(host)
	if err != nil {
		return "", nil, fmt.Errorf("could not find %s in the container: %w", src, unwrapPath(err))
	}
	return host, fi, nil
}

// place decides where a source lands at the destination resolved to host,
// as cp and podman cp do: into an existing directory under the source's
// name (its contents for SRC/.), over an existing file, else as a new entry.
func place(host, dst, src string, srcIsDir bool) (dir, name string, contents bool, err error) {
	trailing := strings.HasSuffix(dst, "/") || wantsContents(dst)
	fi, err := os.Stat(host)
	switch {
	case err == nil && fi.IsDir():
		if wantsContents(src) && srcIsDir {
			return host, ".", true, nil
		}
		return host, filepath.Base(filepath.Clean(src)), false, nil
	case err == nil:
		if srcIsDir {
			return "", "", false, fmt.Errorf("cannot copy a directory onto the file %s", dst)
		}
		if trailing {
			return "", "", false, fmt.Errorf("%s is not a directory", dst)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", false, fmt.Errorf("%s: %w", dst, unwrapPath(err))
	case trailing && !srcIsDir:
		return "", "", false, fmt.Errorf("directory %s does not exist", dst)
	}
	dir = filepath.Dir(filepath.Clean(host))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", "", false, fmt.Errorf("%s: the directory it would be created in does not exist", dst)
	}
	return dir, filepath.Base(filepath.Clean(host)), false, nil
}

// wantsContents says whether p ends in "/.", which copies a directory's contents.
func wantsContents(p string) bool { return p == "." || strings.HasSuffix(p, "/.") }

// tarOf tars src as name, or its contents when contents is set; a non-empty
// root packs it chrooted there, so symlinks in a container stay in it.
func tarOf(src, name string, contents bool, root string) (io.ReadCloser, error) {
	src = filepath.Clean(src)
	if root != "" && src == filepath.Clean(root) {
		contents = true // the root has no name of its own to tar it under
	}
	if !contents {
		// The archive package walks from its source with stat, which follows a
		// symlink: one that points out of the root or nowhere would be logged
		// and skipped, copying nothing. A link is copied as a link, as podman does.
		if rc, ok, err := linkTar(src, name, root); ok || err != nil {
			return rc, err
		}
	}
	opts := &archive.TarOptions{Compression: archive.Uncompressed}
	dir := src
	if !contents {
		dir = filepath.Dir(src)
		base := filepath.Base(src)
		opts.IncludeFiles = []string{base}
		if name != base {
			opts.RebaseNames = map[string]string{base: name}
		}
	}
	if root != "" {
		return chrootarchive.Tar(dir, opts, root)
	}
	return archive.TarWithOptions(dir, opts)
}

// unwrapPath drops a PathError's op and path, which the caller's message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
