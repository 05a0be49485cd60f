package image

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	istorage "go.podman.io/image/v5/storage"
	cstorage "go.podman.io/storage"
)

// Summary is one local image as `rpod images` sees it.
type Summary struct {
	ID    string
	Names []string
	// NamesHistory is every name the image has had, newest first.
	NamesHistory []string
	Digest       string
	Digests      []string
	Created      time.Time
	Size         int64
	Labels       map[string]string
	// Dangling is an image without a name that no other image builds on.
	Dangling bool
	// Intermediate is an image without a name that another image builds on;
	// `images` hides these without -a, as podman does.
	Intermediate bool
	ReadOnly     bool
	TopLayer     string
	// Containers is filled in by the caller, which knows the containers.
	Containers int
}

// ListOptions says what a listing needs beyond the store's own records.
type ListOptions struct {
	// Labels reads each image's config for its labels: the one costly part
	// of a listing, so only a label filter or an output showing labels asks.
	Labels bool
}

// List summarizes every image in the store, newest first.
func List(ctx context.Context, store cstorage.Store, o ListOptions) ([]Summary, error) {
	imgs, err := store.Images()
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	// One read of all layers: looking each one up locks the store anew.
	all, err := store.Layers()
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	layers := make(map[string]*cstorage.Layer, len(all))
	for i := range all {
		layers[all[i].ID] = &all[i]
	}
	lookup := func(id string) (*cstorage.Layer, error) {
		if l, ok := layers[id]; ok {
			return l, nil
		}
		return nil, cstorage.ErrLayerUnknown
	}
	// An image is a parent when another image's layers build on its top
	// layer; an untagged parent is intermediate, not dangling (podman's terms).
	chains := make([][]*cstorage.Layer, len(imgs))
	below := map[string]bool{}
	for i := range imgs {
		if chain, err := chainOf(lookup, &imgs[i]); err == nil {
			chains[i] = chain
			for _, l := range chain[:max(len(chain)-1, 0)] {
				below[l.ID] = true
			}
		}
	}
	out := make([]Summary, 0, len(imgs))
	for i := range imgs {
		s := summarize(&imgs[i], sizeOf(store, &imgs[i], chains[i]))
		if o.Labels {
			if cfg, err := OCIConfig(ctx, store, &imgs[i]); err == nil {
				s.Labels = cfg.Config.Labels
			}
		}
		if below[s.TopLayer] && s.Dangling {
			s.Dangling, s.Intermediate = false, true
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

func summarize(img *cstorage.Image, size int64) Summary {
	s := Summary{
		ID:           img.ID,
		Names:        img.Names,
		NamesHistory: img.NamesHistory,
		Digest:       img.Digest.String(),
		Created:      img.Created,
		Size:         size,
		Dangling:     len(img.Names) == 0,
		ReadOnly:     img.ReadOnly,
		TopLayer:     img.TopLayer,
	}
	if img.Digest == "" {
		s.Digest = ""
	}
	for _, d := range img.Digests {
		s.Digests = append(s.Digests, d.String())
	}
	return s
}

// Layers returns the image's layers, base layer first.
func Layers(store cstorage.Store, img *cstorage.Image) ([]*cstorage.Layer, error) {
	return chainOf(store.Layer, img)
}

func chainOf(layer func(string) (*cstorage.Layer, error), img *cstorage.Image) ([]*cstorage.Layer, error) {
	var chain []*cstorage.Layer
	for id := img.TopLayer; id != ""; {
		l, err := layer(id)
		if err != nil {
			return nil, fmt.Errorf("layer %s of image %s: %w", shortID(id), shortID(img.ID), err)
		}
		chain = append(chain, l)
		id = l.Parent
		if len(chain) > 10000 {
			return nil, fmt.Errorf("image %s: layer chain loops", shortID(img.ID))
		}
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}

// Size is the sum of the image's layer sizes; layers whose size storage did
// not record fall back to storage's own accounting of the whole image.
func Size(store cstorage.Store, img *cstorage.Image) int64 {
	chain, _ := Layers(store, img)
	return sizeOf(store, img, chain)
}

// sizeOf sums a known layer chain; a nil chain means it could not be read.
func sizeOf(store cstorage.Store, img *cstorage.Image, chain []*cstorage.Layer) int64 {
	var err error
	if chain == nil {
		err = fmt.Errorf("image %s: layers unknown", shortID(img.ID))
	}
	var total int64
	if err == nil {
		for _, l := range chain {
			if l.UncompressedSize <= 0 && l.UncompressedDigest == "" {
				err = fmt.Errorf("layer %s has no recorded size", l.ID)
				break
			}
			total += l.UncompressedSize
		}
	}
	if err != nil {
		if n, err := store.ImageSize(img.ID); err == nil {
			return n
		}
	}
	return total
}

// OCIConfig reads the image's full OCI configuration.
func OCIConfig(ctx context.Context, store cstorage.Store, img *cstorage.Image) (*v1.Image, error) {
	d, err := Details(ctx, store, img)
	if err != nil {
		return nil, err
	}
	return d.Config, nil
}

// ImageDetails is what the image's manifest and config say about it.
type ImageDetails struct {
	Config       *v1.Image
	ManifestType string
}

// Details reads the image's manifest type and OCI configuration.
func Details(ctx context.Context, store cstorage.Store, img *cstorage.Image) (ImageDetails, error) {
	ref, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return ImageDetails{}, err
	}
	src, err := ref.NewImage(ctx, nil)
	if err != nil {
		return ImageDetails{}, fmt.Errorf("open image %s: %w", shortID(img.ID), err)
	}
	defer src.Close()
	cfg, err := src.OCIConfig(ctx)
	if err != nil {
		return ImageDetails{}, fmt.Errorf("read image config %s: %w", shortID(img.ID), err)
	}
	_, mt, err := src.Manifest(ctx)
	if err != nil {
		return ImageDetails{}, fmt.Errorf("read image manifest %s: %w", shortID(img.ID), err)
	}
	return ImageDetails{Config: cfg, ManifestType: mt}, nil
}

// HistoryEntry is one step of an image's history, with the size of the
// layer it created (0 for steps that made none).
type HistoryEntry struct {
	// ID is the image's id for the newest step and "<missing>" for the others, as podman shows it.
	ID         string
	Created    time.Time
	CreatedBy  string
	Size       int64
	Comment    string
	Tags       []string
	EmptyLayer bool
}

// History pairs the config's history with the image's layers, newest first.
func History(ctx context.Context, store cstorage.Store, img *cstorage.Image) ([]HistoryEntry, error) {
	cfg, err := OCIConfig(ctx, store, img)
	if err != nil {
		return nil, err
	}
	chain, err := Layers(store, img)
	if err != nil {
		return nil, err
	}
	var out []HistoryEntry
	li := 0
	for _, h := range cfg.History {
		e := HistoryEntry{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer}
		if h.Created != nil {
			e.Created = *h.Created
		}
		if !h.EmptyLayer && li < len(chain) {
			e.Size = chain[li].UncompressedSize
			li++
		}
		out = append(out, e)
	}
	// An image without history (some builders omit it) still has layers.
	if len(out) == 0 {
		for _, l := range chain {
			out = append(out, HistoryEntry{ID: "<missing>", Created: img.Created, Size: l.UncompressedSize})
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) > 0 {
		out[0].ID = img.ID
		out[0].Tags = img.Names
	}
	return out, nil
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
