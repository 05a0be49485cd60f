//go:build !rpodlight

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/directory"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ociarchive "go.podman.io/image/v5/oci/archive"
	ocilayout "go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Save writes images to an archive or directory; only a docker-archive holds several.
func Save(ctx context.Context, store cstorage.Store, sys *types.SystemContext, names []string, o SaveOptions) error {
	if o.Format == "" {
		o.Format = DockerArchive
	}
	switch o.Format {
	case DockerArchive, OCIArchive:
	case OCIDir, DockerDir:
		if o.Output == "" {
			return fmt.Errorf("save: --format %s writes a directory: name it with -o", o.Format)
		}
	default:
		return fmt.Errorf("save: unknown format %q: use docker-archive, oci-archive, oci-dir or docker-dir", o.Format)
	}
	if len(names) > 1 && o.Format != DockerArchive {
		return fmt.Errorf("save: only a docker-archive holds several images (--format docker-archive)")
	}
	type item struct {
		img  *cstorage.Image
		name string
	}
	var items []item
	for _, n := range names {
		img, name, err := Resolve(store, sys, n)
		if err != nil {
			return fmt.Errorf("save %s: %w", n, err)
		}
		items = append(items, item{img, name})
	}
	pc, err := policyContext(sys)
	if err != nil {
		return err
	}
	defer pc.Destroy()
	if o.Format == OCIDir || o.Format == DockerDir {
		var dst types.ImageReference
		if o.Format == OCIDir {
			dst, err = ocilayout.NewReference(o.Output, items[0].name)
		} else {
			dst, err = directory.NewReference(o.Output)
		}
		if err != nil {
			return fmt.Errorf("save to %s: %w", o.Output, err)
		}
		return copyOut(ctx, store, sys, pc, items[0].img, dst, o.Report)
	}
	// An archive is written next to its destination and renamed into place,
	// so that a failed save leaves no half archive (nor a clobbered old one).
	dirOf := bigTempDir(sys)
	if o.Output != "" {
		dirOf = filepath.Dir(o.Output)
	}
	tmp, err := os.CreateTemp(dirOf, ".rpod-save-*.tar")
	if err != nil {
		if o.Output != "" {
			return fmt.Errorf("save to %s: %w", o.Output, errors.Unwrap(err))
		}
		return fmt.Errorf("save: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if o.Format == OCIArchive {
		dst, err := ociarchive.NewReference(tmp.Name(), items[0].name)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if err := copyOut(ctx, store, sys, pc, items[0].img, dst, o.Report); err != nil {
			return err
		}
	} else {
		w, err := dockerarchive.NewWriter(sys, tmp.Name())
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		for _, it := range items {
			var tagged reference.NamedTagged
			if n, err := reference.ParseNormalizedNamed(it.name); err == nil {
				tagged, _ = n.(reference.NamedTagged)
			}
			dst, err := w.NewReference(tagged)
			if err == nil {
				err = copyOut(ctx, store, sys, pc, it.img, dst, o.Report)
			}
			if err != nil {
				w.Close()
				return err
			}
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("save: %w", err)
		}
	}
	if o.Output != "" {
		if err := os.Rename(tmp.Name(), o.Output); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		return nil
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(o.Stdout, f); err != nil {
		return fmt.Errorf("save: write to stdout: %w", err)
	}
	return nil
}

func copyOut(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, img *cstorage.Image, dst types.ImageReference, report io.Writer) error {
	src, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return err
	}
	opts, done := copyOptions(sys, report)
	_, err = copy.Image(ctx, pc, dst, src, opts)
	done()
	if err != nil {
		return fmt.Errorf("save %s: %w", shortID(img.ID), oneLineErr(err))
	}
	return nil
}
