//go:build !rpodlight

package image

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	istorage "go.podman.io/image/v5/storage"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
)

// Commit makes a new image in store of the container layer layerID, held
// by layers, on top of the image baseID: the layer's changes are copied
// into a new layer of their own, so the container stays removable, and
// the config is the base's with the changes applied.
func Commit(ctx context.Context, store, layers cstorage.Store, baseID, layerID string, o CommitOptions) (*cstorage.Image, error) {
	base, err := store.Image(baseID)
	if err != nil {
		return nil, fmt.Errorf("commit: the container's image %s: %w", shortID(baseID), err)
	}
	config, err := readOCIConfig(ctx, store, base.ID)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	for _, c := range o.Changes {
		if err := ApplyChange(&config.Config, c); err != nil {
			return nil, err
		}
	}
	var name string
	if o.Name != "" {
		n, err := localName(o.Name)
		if err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
		name = n.String()
	}
	uncompressed := archive.Uncompressed
	diff, err := layers.Diff("", layerID, &cstorage.DiffOptions{Compression: &uncompressed})
	if err != nil {
		return nil, fmt.Errorf("commit: read the container's changes: %w", err)
	}
	// The diff reader holds the layer store's lock until closed, and
	// PutLayer takes it too: spool the changes first.
	spooled, err := SpoolToFile(SystemContext(), diff, "rpod-commit-*.tar")
	diff.Close()
	if err != nil {
		return nil, fmt.Errorf("commit: read the container's changes: %w", err)
	}
	defer os.Remove(spooled)
	f, err := os.Open(spooled)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	layer, _, err := store.PutLayer("", base.TopLayer, nil, "", false, nil, f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("commit: write the new layer: %w", err)
	}
	img, err := createCommitted(store, layer, config, o)
	if err != nil {
		store.DeleteLayer(layer.ID)
		return nil, fmt.Errorf("commit: %w", err)
	}
	if name != "" {
		// AddNames moves the name from an image that had it, as podman does.
		if err := store.AddNames(img.ID, []string{name}); err != nil {
			return img, fmt.Errorf("commit: name image %s: %w", shortID(img.ID), err)
		}
	}
	return store.Image(img.ID)
}

func readOCIConfig(ctx context.Context, store cstorage.Store, id string) (imgspecv1.Image, error) {
	ref, err := istorage.Transport.NewStoreReference(store, nil, id)
	if err != nil {
		return imgspecv1.Image{}, err
	}
	src, err := ref.NewImage(ctx, nil)
	if err != nil {
		return imgspecv1.Image{}, fmt.Errorf("open image %s: %w", shortID(id), err)
	}
	defer src.Close()
	oci, err := src.OCIConfig(ctx)
	if err != nil {
		return imgspecv1.Image{}, fmt.Errorf("read image config %s: %w", shortID(id), err)
	}
	return *oci, nil
}

// createCommitted records the image whose top layer is layer, with an OCI
// config and manifest stored where the storage transport reads them.
func createCommitted(store cstorage.Store, layer *cstorage.Layer, config imgspecv1.Image, o CommitOptions) (*cstorage.Image, error) {
	var layers []*cstorage.Layer
	for l := layer; ; {
		layers = append([]*cstorage.Layer{l}, layers...)
		if l.Parent == "" {
			break
		}
		parent, err := store.Layer(l.Parent)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", shortID(l.Parent), err)
		}
		l = parent
	}
	now := time.Now().UTC()
	config.Created = &now
	if o.Author != "" {
		config.Author = o.Author
	}
	config.RootFS = imgspecv1.RootFS{Type: "layers"}
	m := imgspecv1.Manifest{
		Versioned: imgspec.Versioned{SchemaVersion: 2},
		MediaType: imgspecv1.MediaTypeImageManifest,
	}
	for _, l := range layers {
		if l.UncompressedDigest == "" {
			return nil, fmt.Errorf("layer %s has no recorded digest", shortID(l.ID))
		}
		config.RootFS.DiffIDs = append(config.RootFS.DiffIDs, l.UncompressedDigest)
		// The store keeps layers unpacked: the manifest names them uncompressed,
		// as the storage transport gives them.
		m.Layers = append(m.Layers, imgspecv1.Descriptor{MediaType: imgspecv1.MediaTypeImageLayer, Digest: l.UncompressedDigest, Size: l.UncompressedSize})
	}
	config.History = append(config.History, imgspecv1.History{Created: &now, Author: o.Author, Comment: o.Message})
	cb, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	cd := digest.FromBytes(cb)
	m.Config = imgspecv1.Descriptor{MediaType: imgspecv1.MediaTypeImageConfig, Digest: cd, Size: int64(len(cb))}
	mb, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	md := digest.FromBytes(mb)
	img, err := store.CreateImage(cd.Encoded(), nil, layer.ID, "", &cstorage.ImageOptions{
		CreationDate: now,
		Digest:       md,
		BigData: []cstorage.ImageBigDataOption{
			{Key: cd.String(), Data: cb, Digest: cd},
			{Key: "manifest-" + md.String(), Data: mb, Digest: md},
			{Key: cstorage.ImageDigestBigDataKey, Data: mb, Digest: md},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("create image: %w", err)
	}
	return img, nil
}
