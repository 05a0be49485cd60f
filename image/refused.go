package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	digest "github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/pkg/blobinfocache/none"
	"go.podman.io/image/v5/pkg/compression"
	"go.podman.io/image/v5/types"
)

// RefusedError says the store refused one of an image's layers, and why.
type RefusedError struct {
	Image  string
	Layer  digest.Digest
	Reason string
	Err    error // the store's own error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("image %s refused: layer %s: %s", e.Image, e.Layer, e.Reason)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// layerErr finds the layer containers/image names when the store fails to
// add it: `adding layer with blob "DIGEST"/"TOC"/"DIFFID": CAUSE`.
var layerErr = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`adding layer with blob "([a-z0-9]+:[0-9a-f]+)"/"[^"]*"/"[^"]*": (.*)$`)
})

// Causes as the store words them, each reduced to its message. These
// and layerErr are compiled at first use: a package-level regexp costs
// every start of rpod, and only a failed pull needs them.
var (
	unpackErr = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^unpacking failed \(error: exit status \d+; output: (.*)\)$`)
	})
	applyErr = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^ApplyLayer stdout: (.*?) ?stderr: (.*?) ?exit status \d+$`)
	})
)

// diagnoseTimeout bounds the second download of a refused layer.
const diagnoseTimeout = 3 * time.Minute

// explainRefusal turns a copy's failure to add a layer into a RefusedError
// naming the image, the layer and, when a scan of the layer from src finds
// it, the entry at fault; any other error is returned as it is. A full
// disk or quota is the store's problem, not the layer's, and is kept as is.
func explainRefusal(ctx context.Context, sys *types.SystemContext, src types.ImageReference, name string, err error) error {
	layer, cause, ok := parseLayerErr(err)
	if !ok || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		strings.Contains(cause, "no space left on device") || strings.Contains(cause, "disk quota exceeded") {
		return err
	}
	reason := cleanCause(cause)
	if v, scanErr := scanBlob(ctx, sys, src, layer); scanErr == nil {
		switch {
		case v.fatal != "":
			reason = v.fatal
		case v.suspect != "":
			reason += " (the layer's " + v.suspect + ")"
		}
	}
	return &RefusedError{Image: name, Layer: layer, Reason: reason, Err: err}
}

// parseLayerErr is the layer and the store's cause in a failed layer's error.
func parseLayerErr(err error) (digest.Digest, string, bool) {
	m := layerErr().FindStringSubmatch(oneLine(err))
	if m == nil {
		return "", "", false
	}
	d := digest.Digest(m[1])
	if d.Validate() != nil {
		return "", "", false
	}
	return d, m[2], true
}

// cleanCause keeps the store's message without the wrapping of its helper process.
func cleanCause(cause string) string {
	if m := unpackErr().FindStringSubmatch(cause); m != nil && m[1] != "" {
		return "unpacking failed: " + m[1]
	}
	if m := applyErr().FindStringSubmatch(cause); m != nil {
		if m[2] != "" {
			return m[2]
		}
		if m[1] != "" {
			return m[1]
		}
	}
	return cause
}

// scanBlob fetches layer from src again, checks its tar stream, and reads
// it to the end so that a verdict is only given on the blob the digest names.
func scanBlob(ctx context.Context, sys *types.SystemContext, src types.ImageReference, layer digest.Digest) (layerVerdict, error) {
	ctx, cancel := context.WithTimeout(ctx, diagnoseTimeout)
	defer cancel()
	is, err := src.NewImageSource(ctx, sys)
	if err != nil {
		return layerVerdict{}, err
	}
	defer is.Close()
	blob, _, err := is.GetBlob(ctx, types.BlobInfo{Digest: layer, Size: -1}, none.NoCache)
	if err != nil {
		return layerVerdict{}, err
	}
	defer blob.Close()
	verifier := layer.Verifier()
	raw := io.TeeReader(blob, verifier)
	// Not scanTar: diagnoseLayer must see the decompressed stream to tell a
	// failing download or decompressor from a broken tar, which scanTar merges.
	tarStream, _, err := compression.AutoDecompress(raw)
	if err != nil {
		return layerVerdict{}, err
	}
	defer tarStream.Close()
	v, err := diagnoseLayer(tarStream)
	if err != nil {
		return layerVerdict{}, err
	}
	// Read, not WriteTo: pgzip's WriteTo panics on a stream already read to its end.
	io.Copy(io.Discard, struct{ io.Reader }{tarStream})
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return layerVerdict{}, err
	}
	if !verifier.Verified() {
		return layerVerdict{}, fmt.Errorf("layer %s: the blob fetched again does not match its digest", layer)
	}
	return v, nil
}
