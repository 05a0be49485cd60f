// Package image finds images in the store and pulls them from registries
// with containers/image: short names, registries.conf, policy.json.
package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/reference"
	cimage "go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/shortnames"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// ErrNotFound is returned by Lookup when no local image matches.
var ErrNotFound = errors.New("image not known")

// SystemContext is the containers/image configuration rpod uses; nil fields
// mean the user's and the system's containers files.
func SystemContext() *types.SystemContext {
	sys := &types.SystemContext{}
	// containers/image reads no drop-ins when CONTAINERS_REGISTRIES_CONF names
	// the file; rpod reads the registries.conf.d next to it, so that aliases
	// and overrides can be tried without touching the user's files.
	if conf := os.Getenv("CONTAINERS_REGISTRIES_CONF"); conf != "" {
		sys.SystemRegistriesConfPath = conf
		sys.SystemRegistriesConfDirPath = filepath.Join(filepath.Dir(conf), "registries.conf.d")
	}
	return sys
}

// Lookup finds a local image by id, id prefix, full name or short name.
func Lookup(store cstorage.Store, sys *types.SystemContext, name string) (*cstorage.Image, error) {
	img, _, err := lookupNamed(store, sys, name)
	return img, err
}

// lookupNamed is Lookup that also returns the full name that matched ("" for an id).
func lookupNamed(store cstorage.Store, sys *types.SystemContext, name string) (*cstorage.Image, string, error) {
	name = strings.TrimPrefix(name, "docker://")
	if img, err := store.Image(name); err == nil {
		n := ""
		if img.ID != name && !strings.HasPrefix(img.ID, name) {
			n = name
		}
		return img, n, nil
	}
	if full, ok := qualifiedName(name); ok { // the library's result, sooner
		if full != name { // else just missed above
			if img, err := store.Image(full); err == nil {
				return img, full, nil
			}
		}
		return nil, "", fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	cands, ok, err := shortCandidates(sys, name, shortNameCacheFile(store.RunRoot()))
	if err != nil {
		return nil, "", fmt.Errorf("%q: %w", name, err)
	}
	if !ok {
		if cands, err = libraryCandidates(sys, name); err != nil {
			return nil, "", err
		}
	}
	for _, c := range cands {
		if img, err := store.Image(c); err == nil {
			return img, c, nil
		}
	}
	return nil, "", fmt.Errorf("%s: %w", name, ErrNotFound)
}

// libraryCandidates is shortCandidates by containers/image, for any name.
func libraryCandidates(sys *types.SystemContext, name string) ([]string, error) {
	if _, err := reference.ParseNormalizedNamed(name); err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %w", name, err)
	}
	named, err := shortnames.ResolveLocally(sys, name)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", name, err)
	}
	cands := make([]string, len(named))
	for i, n := range named {
		cands[i] = n.String()
	}
	return cands, nil
}

// oneLine keeps multi-line registry errors to one line for the CLI.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// PlatformError says that an image has no instance for the platform wanted.
type PlatformError struct {
	Image     string
	Want      string
	Available []string
}

func (e *PlatformError) Error() string {
	return fmt.Sprintf("image %s has no %s instance (available: %s): use --platform", e.Image, e.Want, strings.Join(e.Available, ", "))
}

// ParsePlatform splits podman's --platform value, os/arch[/variant].
func ParsePlatform(s string) (goos, arch, variant string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return "", "", "", fmt.Errorf("invalid platform %q: want os/arch[/variant], e.g. linux/arm64", s)
	}
	for _, p := range parts {
		if p == "" || strings.TrimSpace(p) != p || strings.ContainsAny(p, " \t\n") {
			return "", "", "", fmt.Errorf("invalid platform %q: want os/arch[/variant], e.g. linux/arm64", s)
		}
	}
	goos, arch = strings.ToLower(parts[0]), strings.ToLower(parts[1])
	if len(parts) == 3 {
		variant = strings.ToLower(parts[2])
	}
	return goos, arch, variant, nil
}

// formatPlatform is os/arch[/variant].
func formatPlatform(goos, arch, variant string) string {
	if variant != "" {
		return goos + "/" + arch + "/" + variant
	}
	return goos + "/" + arch
}

// checkPlatform fails with a PlatformError when src has nothing for the
// platform wanted: containers/image would pull a lone manifest for another
// architecture with only a warning, and the container would then fail to exec.
func checkPlatform(ctx context.Context, sys *types.SystemContext, src types.ImageReference, named reference.Named) error {
	is, err := src.NewImageSource(ctx, sys)
	if err != nil {
		return err
	}
	defer is.Close()
	raw, mime, err := is.GetManifest(ctx, nil)
	if err != nil {
		return err
	}
	goos, arch, variant := hostPlatform(sys)
	perr := &PlatformError{Image: named.String(), Want: formatPlatform(goos, arch, variant)}
	if manifest.MIMETypeIsMultiImage(mime) {
		list, err := manifest.ListFromBlob(raw, mime)
		if err != nil {
			return fmt.Errorf("parse manifest list of %s: %w", named, err)
		}
		if _, err := list.ChooseInstance(sys); err == nil {
			return nil
		}
		for _, d := range list.Instances() {
			if u, err := list.Instance(d); err == nil && u.ReadOnly.Platform != nil {
				p := u.ReadOnly.Platform
				perr.Available = append(perr.Available, formatPlatform(p.OS, p.Architecture, p.Variant))
			}
		}
		return perr
	}
	img, err := cimage.FromUnparsedImage(ctx, sys, cimage.UnparsedInstance(is, nil))
	if err != nil {
		return fmt.Errorf("read manifest of %s: %w", named, err)
	}
	cfg, err := img.OCIConfig(ctx)
	if err != nil {
		return fmt.Errorf("read config of %s: %w", named, err)
	}
	if cfg.OS == "" && cfg.Architecture == "" {
		return nil // nothing to compare, as with schema 1 images
	}
	if cfg.OS == goos && cfg.Architecture == arch && (variant == "" || cfg.Variant == "" || cfg.Variant == variant) {
		return nil
	}
	perr.Available = []string{formatPlatform(cfg.OS, cfg.Architecture, cfg.Variant)}
	return perr
}

// hostPlatform is the platform pulled when sys chooses none.
func hostPlatform(sys *types.SystemContext) (goos, arch, variant string) {
	goos, arch = goruntime.GOOS, goruntime.GOARCH
	if sys != nil {
		if sys.OSChoice != "" {
			goos = sys.OSChoice
		}
		if sys.ArchitectureChoice != "" {
			arch = sys.ArchitectureChoice
		}
		variant = sys.VariantChoice
	}
	return goos, arch, variant
}

// Config is the part of an image's configuration a container starts from.
type Config struct {
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
	User       string   `json:"User,omitempty"`
	StopSignal string   `json:"StopSignal,omitempty"`
	// ExposedPorts are the image's EXPOSE ports, "80/tcp", that -P publishes.
	ExposedPorts []string `json:"ExposedPorts,omitempty"`
	// Blob is the config as stored, for what OCI's form lacks (Docker's Healthcheck).
	Blob []byte `json:"-"`
}

// ReadConfig reads the image's config from the store.
func ReadConfig(ctx context.Context, store cstorage.Store, img *cstorage.Image) (Config, error) {
	blob, oci, ok := storedConfig(store, img)
	if !ok {
		var err error
		if blob, oci, err = convertedConfig(ctx, store, img); err != nil {
			return Config{}, err
		}
	}
	c := oci.Config
	var exposed []string
	for p := range c.ExposedPorts {
		exposed = append(exposed, p)
	}
	sort.Strings(exposed)
	return Config{Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, User: c.User, StopSignal: c.StopSignal,
		ExposedPorts: exposed, Blob: blob}, nil
}

// storedConfig reads img's config straight from the store, where a pull,
// an import and a commit leave it: the manifest under the store's
// "manifest" key and the config under its digest. An OCI or Docker schema
// 2 config is the OCI one as it is (containers/image only unmarshals it);
// a run's start saves opening the image through containers/image (some
// 2 ms). Anything else is left to convertedConfig.
func storedConfig(store cstorage.Store, img *cstorage.Image) ([]byte, *imgspecv1.Image, bool) {
	mb, err := store.ImageBigData(img.ID, cstorage.ImageDigestBigDataKey)
	if err != nil {
		return nil, nil, false
	}
	mt := manifest.GuessMIMEType(mb)
	if mt != imgspecv1.MediaTypeImageManifest && mt != manifest.DockerV2Schema2MediaType {
		return nil, nil, false
	}
	m, err := manifest.FromBlob(mb, mt)
	if err != nil {
		return nil, nil, false
	}
	d := m.ConfigInfo().Digest
	blob, err := store.ImageBigData(img.ID, d.String())
	if err != nil || d.Validate() != nil || d.Algorithm().FromBytes(blob) != d {
		return nil, nil, false
	}
	var oci imgspecv1.Image
	if err := json.Unmarshal(blob, &oci); err != nil {
		return nil, nil, false
	}
	return blob, &oci, true
}

// convertedConfig reads img's config through containers/image, which
// converts what storedConfig does not read (a Docker schema 1 image's).
func convertedConfig(ctx context.Context, store cstorage.Store, img *cstorage.Image) ([]byte, *imgspecv1.Image, error) {
	ref, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return nil, nil, err
	}
	src, err := ref.NewImage(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("open image %s: %w", img.ID[:12], err)
	}
	defer src.Close()
	oci, err := src.OCIConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read image config %s: %w", img.ID[:12], err)
	}
	// Cached by the source: OCIConfig read it already.
	blob, err := src.ConfigBlob(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read image config %s: %w", img.ID[:12], err)
	}
	return blob, oci, nil
}
