//go:build !rpodlight

package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"go.podman.io/image/v5/pkg/compression"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Load copies every image of a docker-archive or oci-archive file into the store.
func Load(ctx context.Context, store cstorage.Store, sys *types.SystemContext, file string, report io.Writer) ([]Loaded, error) {
	format, err := detectFile(file)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", file, err)
	}
	pc, err := policyContext(sys)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	var loaded []Loaded
	if format == DockerArchive {
		loaded, err = loadDockerArchive(ctx, store, sys, pc, file, report)
	} else {
		loaded, err = loadOCIArchiveFile(ctx, store, sys, pc, file, report)
	}
	if err != nil {
		return loaded, fmt.Errorf("load %s: %w", file, err)
	}
	return loaded, nil
}

// detectFile is DetectArchive on a file.
func detectFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return DetectArchive(f)
}

// loadOCIArchiveFile unpacks an oci-archive once and loads every image in it.
func loadOCIArchiveFile(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, file string, report io.Writer) ([]Loaded, error) {
	dir, err := os.MkdirTemp(bigTempDir(sys), "rpod-oci-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := extractLayout(f, dir); err != nil {
		return nil, fmt.Errorf("unpack oci-archive: %w", err)
	}
	return loadOCILayout(ctx, store, sys, pc, dir, report)
}

// extractLayout unpacks an OCI layout archive into dir. A layout holds only
// directories and regular files; everything is written through an os.Root,
// so no entry can land outside dir.
func extractLayout(r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	dr, _, err := compression.AutoDecompress(r)
	if err != nil {
		return err
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if d := path.Dir(name); d != "." {
				if err := root.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
			out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%s: %w", h.Name, err)
			}
		default:
			return fmt.Errorf("%s: an OCI layout holds only files and directories", h.Name)
		}
	}
}

// bigTempDir is where whole archives are staged: containers/image's choice.
func bigTempDir(sys *types.SystemContext) string {
	if sys != nil && sys.BigFilesTemporaryDir != "" {
		return sys.BigFilesTemporaryDir
	}
	if d := os.Getenv("TMPDIR"); d != "" {
		return d
	}
	return "/var/tmp"
}

// SpoolToFile copies r (stdin) to a temporary file, since archives are read
// more than once; the caller removes the file.
func SpoolToFile(sys *types.SystemContext, r io.Reader, pattern string) (string, error) {
	f, err := os.CreateTemp(bigTempDir(sys), pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
