//go:build !rpodlight

package image

import (
	"context"
	"fmt"
	"strings"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Push copies the local image src to the registry reference dest; an empty
// dest means src's own full name.
func Push(ctx context.Context, store cstorage.Store, sys *types.SystemContext, src, dest string, o PushOptions) error {
	mime, err := ManifestType(o.Format)
	if err != nil {
		return err
	}
	img, matched, err := lookupNamed(store, sys, src)
	if err != nil {
		return err
	}
	if dest == "" {
		dest = matched
		if dest == "" && len(img.Names) > 0 {
			dest = img.Names[0]
		}
		if dest == "" {
			return fmt.Errorf("push %s: the image has no name: give a destination, e.g. rpod push %s REGISTRY/NAME:TAG", src, src)
		}
	}
	dest = strings.TrimPrefix(dest, "docker://")
	named, err := reference.ParseNormalizedNamed(dest)
	if err != nil {
		return fmt.Errorf("invalid destination %q: %w", dest, err)
	}
	named = reference.TagNameOnly(named)
	srcRef, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return err
	}
	destRef, err := docker.NewReference(named)
	if err != nil {
		return fmt.Errorf("invalid destination %q: %w", dest, err)
	}
	pc, err := policyContext(sys)
	if err != nil {
		return err
	}
	defer pc.Destroy()
	opts, done := CopyOptions(o.Report)
	opts.SourceCtx, opts.DestinationCtx = sys, sys
	opts.ForceManifestMIMEType = mime
	_, err = copy.Image(ctx, pc, destRef, srcRef, opts)
	done()
	if err != nil {
		return fmt.Errorf("push %s to %s: %s%s", src, named, oneLine(err), hint(err, sys, named))
	}
	return nil
}
