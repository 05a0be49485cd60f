//go:build !rpodlight

package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/compression"
	"go.podman.io/image/v5/tarball"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Import makes a one-layer image of a root filesystem tarball (plain or
// compressed): a file, "-" for stdin, or an http(s) URL.
func Import(ctx context.Context, store cstorage.Store, sys *types.SystemContext, source string, stdin io.Reader, o ImportOptions) (*cstorage.Image, error) {
	var config imgspecv1.ImageConfig
	for _, c := range o.Changes {
		if err := ApplyChange(&config, c); err != nil {
			return nil, err
		}
	}
	var names []reference.Named
	if o.Name != "" {
		n, err := localName(o.Name)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		names = append(names, n)
	}
	file, cleanup, err := fetchSource(ctx, sys, source, stdin)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", source, err)
	}
	defer cleanup()
	if err := checkTar(file); err != nil {
		return nil, fmt.Errorf("import %s: %w", source, err)
	}
	ref, err := tarball.NewReference([]string{file}, nil)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", source, err)
	}
	img := imgspecv1.Image{Config: config}
	if o.Message != "" {
		img.History = []imgspecv1.History{{Comment: o.Message}}
	}
	if err := ref.(tarball.ConfigUpdater).ConfigUpdate(img, nil); err != nil {
		return nil, fmt.Errorf("import %s: %w", source, err)
	}
	pc, err := policyContext(sys)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	l, err := copyToStore(ctx, store, sys, pc, ref, names, o.Report)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", source, err)
	}
	return l.Image, nil
}

// fetchSource gives a local file for an import source: the file itself, or
// a temporary copy of stdin or of a downloaded URL.
func fetchSource(ctx context.Context, sys *types.SystemContext, source string, stdin io.Reader) (string, func(), error) {
	none := func() {}
	if source == "-" {
		f, err := SpoolToFile(sys, stdin, "rpod-import-*.tar")
		if err != nil {
			return "", none, fmt.Errorf("read stdin: %w", err)
		}
		return f, func() { os.Remove(f) }, nil
	}
	scheme, _, isURL := strings.Cut(source, "://")
	if !isURL {
		if _, err := os.Stat(source); err != nil {
			return "", none, err
		}
		return source, none, nil
	}
	if scheme != "http" && scheme != "https" {
		return "", none, fmt.Errorf("unsupported URL scheme %q: import reads a file, - (stdin) or an http(s) URL", scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
	if err != nil {
		return "", none, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", none, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", none, fmt.Errorf("download: server answered %s", resp.Status)
	}
	f, err := SpoolToFile(sys, resp.Body, "rpod-import-*.tar")
	if err != nil {
		return "", none, fmt.Errorf("download: %w", err)
	}
	return f, func() { os.Remove(f) }, nil
}

// checkTar reads the whole file as a (possibly compressed) tar and checks
// it as a layer, so that bad input is refused before it becomes one.
func checkTar(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	dr, _, err := compression.AutoDecompress(f)
	if err != nil {
		return fmt.Errorf("not a tar archive: %w", err)
	}
	defer dr.Close()
	var block [512]byte
	n, _ := io.ReadFull(dr, block[:])
	if n == 0 {
		return errors.New("not a tar archive: it is empty")
	}
	if _, err := tar.NewReader(bytes.NewReader(block[:n])).Next(); errors.Is(err, io.EOF) {
		return errors.New("not a tar archive: it is empty")
	} else if err != nil {
		return fmt.Errorf("not a tar archive: %w", err)
	}
	return CheckLayer(io.MultiReader(bytes.NewReader(block[:n]), dr))
}
