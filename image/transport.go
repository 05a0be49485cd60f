//go:build !rpodlight

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/copy"
	dockerarchive "go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	ocilayout "go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/transports"
	"go.podman.io/image/v5/types"

	// The transports rpod reads images from; alltransports would also bring
	// docker-daemon's moby client and sif, new modules and megabytes for no use here.
	_ "go.podman.io/image/v5/directory"
	_ "go.podman.io/image/v5/docker"
	_ "go.podman.io/image/v5/oci/archive"
	_ "go.podman.io/image/v5/tarball"
	cstorage "go.podman.io/storage"
	ctypes "go.podman.io/storage/types"
)

// HasTransport says whether name starts with a containers/image transport
// other than docker:// (docker-archive:, oci:, dir:, containers-storage:...),
// which CopyIn handles; a registry name such as localhost:5000/x has none.
func HasTransport(name string) bool {
	t, _, ok := strings.Cut(name, ":")
	return ok && t != "docker" && transports.Get(t) != nil
}

// CopyIn copies the images a transport reference names into the store: every
// image of a docker-archive or OCI layout when the reference names none.
func CopyIn(ctx context.Context, store cstorage.Store, sys *types.SystemContext, ref string, report io.Writer) ([]*cstorage.Image, error) {
	loaded, err := copyIn(ctx, store, sys, ref, report)
	imgs := make([]*cstorage.Image, len(loaded))
	for i, l := range loaded {
		imgs[i] = l.Image
	}
	return imgs, err
}

func copyIn(ctx context.Context, store cstorage.Store, sys *types.SystemContext, ref string, report io.Writer) ([]Loaded, error) {
	istorage.Transport.SetStore(store)
	src, closeSrc, err := parseSource(ref)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	defer closeSrc()
	pc, err := policyContext(sys)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	switch src.Transport().Name() {
	case "docker-archive", "oci-archive":
		// The same checks as load: a truncated file or a hostile layer is refused first.
		file, _ := splitPathImage(src.StringWithinTransport())
		if _, err := detectFile(file); err != nil {
			return nil, fmt.Errorf("pull %s: %w", ref, err)
		}
	}
	loaded, err := copyRef(ctx, store, sys, pc, src, report)
	if err != nil {
		return loaded, fmt.Errorf("pull %s: %w", ref, err)
	}
	return loaded, nil
}

// copyRef copies what src names: every image of an archive or layout when
// it names none, else the one image, named as podman names it.
func copyRef(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, src types.ImageReference, report io.Writer) ([]Loaded, error) {
	within := src.StringWithinTransport()
	var names []reference.Named
	switch t := src.Transport().Name(); t {
	case "docker-archive":
		if src.DockerReference() == nil && !strings.Contains(within, ":@") {
			return loadDockerArchive(ctx, store, sys, pc, within, report)
		}
	case "oci", "oci-archive":
		path, image := splitPathImage(within)
		switch {
		case image == "" && t == "oci":
			return loadOCILayout(ctx, store, sys, pc, path, report)
		case image == "":
			return loadOCIArchiveFile(ctx, store, sys, pc, path, report)
		}
		named, err := localName(image)
		if err != nil {
			return nil, err
		}
		names = append(names, named)
	}
	// dir: and the like: a path is no image name, so the image is known by
	// its id, as podman does; sources that carry a name keep it.
	if n := src.DockerReference(); n != nil && len(names) == 0 && src.Transport().Name() != "dir" {
		names = append(names, reference.TagNameOnly(n))
	}
	l, err := copyToStore(ctx, store, sys, pc, src, names, report)
	if err != nil {
		return nil, err
	}
	return []Loaded{l}, nil
}

// parseSource parses a pull's source. containers-storage:IMAGE, with no
// [driver@graphroot+runroot] of its own, names the store podman, buildah and
// skopeo share (the user's storage.conf, else their rootless default): rpod
// keeps a store of its own (see README), and this is how images come over.
func parseSource(ref string) (types.ImageReference, func(), error) {
	within, ok := strings.CutPrefix(ref, istorage.Transport.Name()+":")
	if !ok || strings.HasPrefix(within, "[") {
		r, err := parseTransportRef(ref)
		return r, func() {}, err
	}
	opts, err := ctypes.LoadStoreOptions(ctypes.LoadOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("find podman's store: %w", err)
	}
	if opts.GraphDriverName == "" && len(opts.GraphDriverPriority) == 0 {
		// Without a list, storage never guesses vfs from the store's own
		// directories, and tools without a storage.conf (skopeo) write vfs.
		opts.GraphDriverPriority = []string{"overlay", "vfs"}
	}
	podman, err := cstorage.GetStore(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("open podman's store %s: %w", opts.GraphRoot, err)
	}
	r, err := istorage.Transport.ParseStoreReference(podman, within)
	if err != nil {
		podman.Shutdown(false)
		return nil, nil, err
	}
	return r, func() { podman.Shutdown(false) }, nil
}

// parseTransportRef parses TRANSPORT:REF as alltransports.ParseImageName
// does, over the transports rpod registers.
func parseTransportRef(ref string) (types.ImageReference, error) {
	name, within, ok := strings.Cut(ref, ":")
	t := transports.Get(name)
	if !ok || t == nil {
		return nil, fmt.Errorf("unknown transport %q: use docker-archive:, oci-archive:, oci:, dir: or containers-storage:", name)
	}
	return t.ParseReference(within)
}

// splitPathImage splits an oci/oci-archive reference at its last colon, as
// containers/image does, into the path and the optional image name.
func splitPathImage(within string) (path, image string) {
	path, image, _ = strings.Cut(within, ":")
	return path, image
}

// loadDockerArchive copies every image of a docker-archive, with all its tags.
func loadDockerArchive(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, path string, report io.Writer) ([]Loaded, error) {
	r, err := dockerarchive.NewReader(sys, path)
	if err != nil {
		return nil, fmt.Errorf("read docker-archive %s: %w", path, err)
	}
	defer r.Close()
	groups, err := r.List()
	if err != nil {
		return nil, fmt.Errorf("read docker-archive %s: %w", path, err)
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("docker-archive %s holds no image", path)
	}
	var out []Loaded
	for _, refs := range groups {
		var names []reference.Named
		for _, r := range refs {
			if n := r.DockerReference(); n != nil {
				names = append(names, n)
			}
		}
		l, err := copyToStore(ctx, store, sys, pc, refs[0], names, report)
		if err != nil {
			return out, fmt.Errorf("load %s from %s: %w", describeNames(names), path, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// loadOCILayout copies every image of an OCI layout directory; an image is
// named by its ref.name annotation (containerd's own one first), as podman does.
func loadOCILayout(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, dir string, report io.Writer) ([]Loaded, error) {
	list, err := ocilayout.List(dir)
	if err != nil {
		return nil, fmt.Errorf("read OCI layout %s: %w", dir, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("OCI layout %s holds no image", dir)
	}
	var out []Loaded
	for _, item := range list {
		var names []reference.Named
		if n := annotatedName(item.ManifestDescriptor.Annotations); n != "" {
			named, err := localName(n)
			if err != nil {
				return out, fmt.Errorf("image %s in %s: %w", item.ManifestDescriptor.Digest, dir, err)
			}
			names = append(names, named)
		}
		l, err := copyToStore(ctx, store, sys, pc, item.Reference, names, report)
		if err != nil {
			return out, fmt.Errorf("load %s: %w", describeNames(names), err)
		}
		out = append(out, l)
	}
	return out, nil
}

func annotatedName(a map[string]string) string {
	if n := a["io.containerd.image.name"]; n != "" {
		return n
	}
	return a[imgspecv1.AnnotationRefName]
}

// localName completes a name from an archive as podman does: without a
// registry it is under localhost/, without a tag it is :latest.
func localName(name string) (reference.Named, error) {
	full, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	return reference.ParseNormalizedNamed(full)
}

func describeNames(names []reference.Named) string {
	if len(names) == 0 {
		return "image"
	}
	return names[0].String()
}

// copyToStore copies src into the store under names, or under its config
// digest when it has none, and reports the names it gave.
func copyToStore(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, src types.ImageReference, names []reference.Named, report io.Writer) (Loaded, error) {
	var first reference.Named
	id := ""
	if len(names) > 0 {
		first = names[0]
	} else {
		var err error
		if id, err = configID(ctx, sys, src); err != nil {
			return Loaded{}, err
		}
	}
	dst, err := istorage.Transport.NewStoreReference(store, first, id)
	if err != nil {
		return Loaded{}, err
	}
	var resolved types.ImageReference
	opts, done := copyOptions(sys, report)
	opts.ReportResolvedReference = &resolved
	_, err = copy.Image(ctx, pc, dst, src, opts)
	done()
	if err != nil {
		return Loaded{}, oneLineErr(explainRefusal(ctx, sys, src, transports.ImageName(src), err))
	}
	if resolved == nil {
		resolved = dst
	}
	img, err := istorage.Transport.GetStoreImage(store, resolved)
	if err != nil {
		return Loaded{}, fmt.Errorf("find copied image: %w", err)
	}
	l := Loaded{Image: img}
	for _, n := range names {
		l.Names = append(l.Names, n.String())
	}
	if len(l.Names) > 1 {
		if err := store.AddNames(img.ID, l.Names[1:]); err != nil {
			return l, fmt.Errorf("name image %s: %w", shortID(img.ID), err)
		}
	}
	if len(l.Names) == 0 {
		l.Names = []string{"sha256:" + img.ID}
	}
	if img, err := store.Image(img.ID); err == nil {
		l.Image = img
	}
	return l, nil
}

// copyOptions is the one place archive copies take their options from.
func copyOptions(sys *types.SystemContext, report io.Writer) (*copy.Options, func()) {
	opts, done := CopyOptions(report)
	opts.SourceCtx, opts.DestinationCtx = sys, sys
	return opts, done
}

// configID is the id the store gives an image without a name: its config digest.
func configID(ctx context.Context, sys *types.SystemContext, src types.ImageReference) (string, error) {
	img, err := src.NewImage(ctx, sys)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", transports.ImageName(src), oneLineErr(err))
	}
	defer img.Close()
	d := img.ConfigInfo().Digest
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("read %s: config digest: %w", transports.ImageName(src), err)
	}
	return d.Encoded(), nil
}

// oneLineErr keeps a library's multi-line error on one line for the CLI.
func oneLineErr(err error) error {
	if err == nil || !strings.Contains(err.Error(), "\n") {
		return err
	}
	return errors.New(oneLine(err))
}
