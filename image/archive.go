package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"go.podman.io/image/v5/pkg/compression"
)

// Archive formats, by their podman names.
const (
	DockerArchive = "docker-archive"
	OCIArchive    = "oci-archive"
	OCIDir        = "oci-dir"
	DockerDir     = "docker-dir"
)

// ErrHostile marks a layer rpod refuses to apply: an entry that leaves the
// layer's root, or one written through a symlink the same layer made.
var ErrHostile = errors.New("refusing a hostile layer")

// DetectArchive reads a whole (possibly compressed) image archive and says
// which format it is: a docker-archive has manifest.json at its top, an
// oci-archive index.json and oci-layout. Reading it all finds a truncated
// archive, and each layer in it is checked with CheckLayer on the way.
func DetectArchive(r io.Reader) (string, error) {
	var manifest, index, layout bool
	err := scanTar(r, func(h *tar.Header, body io.Reader) error {
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		switch path.Clean("/" + h.Name) {
		case "/manifest.json":
			manifest = true
		case "/index.json":
			index = true
		case "/oci-layout":
			layout = true
		default:
			if err := checkIfLayer(body); err != nil {
				return fmt.Errorf("layer %s: %w", h.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	switch {
	case manifest:
		// Docker 25 writes both; manifest.json describes every image.
		return DockerArchive, nil
	case index && layout:
		return OCIArchive, nil
	}
	return "", errors.New("not an image archive: it has neither manifest.json (docker-archive) nor index.json and oci-layout (oci-archive), or it is cut short")
}

// scanTar reads every entry of a (possibly compressed) tar, telling a
// non-tar, an empty and a truncated input apart.
func scanTar(r io.Reader, entry func(*tar.Header, io.Reader) error) error {
	dr, _, err := compression.AutoDecompress(r)
	if err != nil {
		return fmt.Errorf("not a tar archive: %w", err)
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return errors.New("not a tar archive: it is empty")
			}
			return nil
		}
		if err != nil {
			if n == 0 {
				return fmt.Errorf("not a tar archive: %w", err)
			}
			return truncated(err, n)
		}
		// Next skips what entry leaves unread by its size in the archive, so
		// a short entry shows there, and a sparse one's holes are never read.
		if err := entry(h, tr); err != nil {
			return err
		}
	}
}

func truncated(err error, entries int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated archive: it ends in the middle of an entry")
	}
	return fmt.Errorf("corrupt archive after %d entries: %w", entries, err)
}

// checkIfLayer checks body with CheckLayer when it is a (possibly
// compressed) tar; configs, manifests and other blobs pass.
func checkIfLayer(body io.Reader) error {
	_, decompress, body, err := compression.DetectCompressionFormat(body)
	if err != nil {
		return nil
	}
	if decompress != nil {
		rc, err := decompress(body)
		if err != nil {
			return nil
		}
		defer rc.Close()
		body = rc
	}
	var block [512]byte
	n, _ := io.ReadFull(body, block[:])
	if n < len(block) || string(block[257:262]) != "ustar" {
		return nil
	}
	return CheckLayer(io.MultiReader(bytes.NewReader(block[:n]), body))
}

// CheckLayer refuses a layer tar with an entry or hard link whose path
// leaves the root ("../../etc/evil"), or with an entry written through a
// symlink the layer itself made ("l -> /etc", then "l/passwd"; or "p ->
// /etc/passwd", then "p"). No tar of a real filesystem has either.
// containers/storage contains such paths in the layer; rpod refuses them
// outright, so that a hostile archive is an error rather than a surprise.
func CheckLayer(r io.Reader) error {
	tr := tar.NewReader(r)
	symlinks := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return truncated(err, 1)
		}
		name, ok := inRoot(h.Name)
		if !ok {
			return fmt.Errorf("entry %q leaves the layer's root: %w", h.Name, ErrHostile)
		}
		if h.Typeflag == tar.TypeLink {
			if _, ok := inRoot(h.Linkname); !ok {
				return fmt.Errorf("hard link %q to %q leaves the layer's root: %w", h.Name, h.Linkname, ErrHostile)
			}
		}
		for p := name; p != "."; p = path.Dir(p) {
			if symlinks[p] && (p != name || h.Typeflag != tar.TypeSymlink) {
				return fmt.Errorf("entry %q is written through symlink %q of the same layer: %w", h.Name, p, ErrHostile)
			}
		}
		if h.Typeflag == tar.TypeSymlink {
			symlinks[name] = true
		}
	}
}

// inRoot cleans a tar path relative to the root; ok is false when ".." leaves
// it, and the path is then where a chroot at the root, stopping "..", puts it.
func inRoot(name string) (string, bool) {
	c := path.Clean(strings.TrimLeft(name, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return path.Clean(path.Clean("/" + c)[1:]), false
	}
	return c, true
}
