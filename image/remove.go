package image

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// Resolve finds the image name refers to, as Lookup does, and also says
// which of the image's names it was: "" when name is an id or id prefix.
func Resolve(store cstorage.Store, sys *types.SystemContext, name string) (*cstorage.Image, string, error) {
	name = strings.TrimPrefix(name, "docker://")
	if isHexID(strings.TrimPrefix(name, "sha256:")) {
		if img, err := store.Image(strings.TrimPrefix(name, "sha256:")); err == nil && strings.HasPrefix(img.ID, strings.TrimPrefix(name, "sha256:")) {
			return img, "", nil
		}
	}
	if img, err := store.Image(name); err == nil {
		if slices.Contains(img.Names, name) {
			return img, name, nil
		}
		return img, "", nil
	}
	img, err := Lookup(store, sys, name)
	if err != nil {
		return nil, "", err
	}
	if cands, err := shortnames.ResolveLocally(sys, name); err == nil {
		for _, c := range cands {
			if slices.Contains(img.Names, c.String()) {
				return img, c.String(), nil
			}
		}
	}
	return img, "", nil
}

func isHexID(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// NormalizeName completes a name for tagging as podman does: a name without
// a registry gets "localhost/", a name without a tag gets ":latest".
func NormalizeName(name string) (string, error) {
	ref, err := reference.Parse(name)
	if err != nil {
		return "", fmt.Errorf("invalid image name %q: %w", name, err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return "", fmt.Errorf("invalid image name %q: it has no repository", name)
	}
	if _, digested := ref.(reference.Digested); digested {
		return "", fmt.Errorf("invalid image name %q: a tag cannot contain a digest", name)
	}
	if d := reference.Domain(named); !strings.ContainsAny(d, ".:") && d != "localhost" {
		name = "localhost/" + name
	}
	full, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("invalid image name %q: %w", name, err)
	}
	return reference.TagNameOnly(full).String(), nil
}

// Tag adds names to the image; storage moves a name that another image had.
func Tag(store cstorage.Store, img *cstorage.Image, names []string) error {
	if err := store.AddNames(img.ID, names); err != nil {
		return fmt.Errorf("tag %s: %w", shortID(img.ID), err)
	}
	return nil
}

// Untag removes names from the image; each must be one of its names.
func Untag(store cstorage.Store, img *cstorage.Image, names []string) error {
	for _, n := range names {
		if !slices.Contains(img.Names, n) {
			return fmt.Errorf("%s: tag not known", n)
		}
	}
	if err := store.RemoveNames(img.ID, names); err != nil {
		return fmt.Errorf("untag %s: %w", shortID(img.ID), err)
	}
	return nil
}

// Delete removes the image and those of its layers no other image uses.
// An image another rpod removed meanwhile is removed: as podman does.
func Delete(store cstorage.Store, img *cstorage.Image) error {
	if _, err := store.DeleteImage(img.ID, true); err != nil {
		if errors.Is(err, cstorage.ErrImageUnknown) || errors.Is(err, cstorage.ErrNotAnImage) {
			return nil
		}
		return fmt.Errorf("remove image %s: %w", shortID(img.ID), err)
	}
	return nil
}
