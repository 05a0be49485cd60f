// Package image finds images in the store and pulls them from registries
// with containers/image: short names, registries.conf, policy.json.
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/configfile"
)

// ErrNotFound is returned by Lookup when no local image matches.
var ErrNotFound = errors.New("image not known")

// SystemContext is the containers/image configuration rpod uses; nil fields
// mean the user's and the system's containers files.
func SystemContext() *types.SystemContext {
	return &types.SystemContext{}
}

// Lookup finds a local image by id, id prefix, full name or short name.
func Lookup(store cstorage.Store, sys *types.SystemContext, name string) (*cstorage.Image, error) {
	name = strings.TrimPrefix(name, "docker://")
	if img, err := store.Image(name); err == nil {
		return img, nil
	}
	if _, err := reference.ParseNormalizedNamed(name); err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %w", name, err)
	}
	cands, err := shortnames.ResolveLocally(sys, name)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", name, err)
	}
	for _, c := range cands {
		if img, err := store.Image(c.String()); err == nil {
			return img, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
}

// PullOptions tunes a pull.
type PullOptions struct {
	// Report receives podman-style progress lines; nil discards them.
	Report io.Writer
}

// Pull copies name from its registry into the store and returns the image.
// A short name is tried against each unqualified-search registry in turn.
func Pull(ctx context.Context, store cstorage.Store, sys *types.SystemContext, name string, o PullOptions) (*cstorage.Image, error) {
	name = strings.TrimPrefix(name, "docker://")
	if _, err := reference.ParseNormalizedNamed(name); err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %w", name, err)
	}
	resolved, err := shortnames.Resolve(sys, name)
	if err != nil {
		return nil, fmt.Errorf("resolve %q: %w", name, err)
	}
	policy, err := Policy(sys)
	if err != nil {
		return nil, err
	}
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer pc.Destroy()
	report := o.Report
	if report == nil {
		report = io.Discard
	}
	var errs []string
	for _, c := range resolved.PullCandidates {
		fmt.Fprintf(report, "Trying to pull %s...\n", c.Value.String())
		img, err := pullOne(ctx, store, sys, pc, c.Value, report)
		if err != nil {
			errs = append(errs, oneLine(err)+hint(err, c.Value))
			continue
		}
		c.Record()
		return img, nil
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("pull %s: no registries to search: add unqualified-search-registries to registries.conf or use a full name", name)
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

func pullOne(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, named reference.Named, report io.Writer) (*cstorage.Image, error) {
	src, err := docker.NewReference(named)
	if err != nil {
		return nil, err
	}
	dst, err := istorage.Transport.NewStoreReference(store, named, "")
	if err != nil {
		return nil, err
	}
	if _, err := copy.Image(ctx, pc, dst, src, &copy.Options{ReportWriter: report, SourceCtx: sys, DestinationCtx: sys}); err != nil {
		return nil, err
	}
	img, err := istorage.Transport.GetStoreImage(store, dst)
	if err != nil {
		return nil, fmt.Errorf("find pulled image %s: %w", named, err)
	}
	return img, nil
}

// Policy reads the user's or the system's policy.json. With neither (a
// machine without containers-common) it accepts anything, the default podman ships.
func Policy(sys *types.SystemContext) (*signature.Policy, error) {
	p, err := signature.DefaultPolicy(sys)
	if err == nil {
		return p, nil
	}
	if (errors.Is(err, configfile.ErrConfigFileNotFound) || errors.Is(err, fs.ErrNotExist)) && os.Getenv("CONTAINERS_POLICY_JSON") == "" && (sys == nil || sys.SignaturePolicyPath == "") {
		return &signature.Policy{Default: signature.PolicyRequirements{signature.NewPRInsecureAcceptAnything()}}, nil
	}
	return nil, fmt.Errorf("read policy.json: %w", err)
}

// hint names the fix for the pull failures users meet most.
func hint(err error, named reference.Named) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf(": the registry speaks plain HTTP: mark it insecure in registries.conf ([[registry]] location = %q, insecure = true)", reference.Domain(named))
	case strings.Contains(msg, "authentication required") || strings.Contains(msg, "unauthorized"):
		return ": log in to the registry first (credentials in $XDG_RUNTIME_DIR/containers/auth.json)"
	}
	return ""
}

// oneLine keeps multi-line registry errors to one line for the CLI.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Config is the part of an image's configuration a container starts from.
type Config struct {
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
	User       string   `json:"User,omitempty"`
	StopSignal string   `json:"StopSignal,omitempty"`
}

// ReadConfig reads the image's config from the store.
func ReadConfig(ctx context.Context, store cstorage.Store, img *cstorage.Image) (Config, error) {
	ref, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return Config{}, err
	}
	src, err := ref.NewImage(ctx, nil)
	if err != nil {
		return Config{}, fmt.Errorf("open image %s: %w", img.ID[:12], err)
	}
	defer src.Close()
	oci, err := src.OCIConfig(ctx)
	if err != nil {
		return Config{}, fmt.Errorf("read image config %s: %w", img.ID[:12], err)
	}
	c := oci.Config
	return Config{Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, User: c.User, StopSignal: c.StopSignal}, nil
}
