//go:build !rpodlight

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/distribution/reference"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/pkg/shortnames"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/configfile"
)

// Pull copies name from its registry into the store and returns the image.
// A short name is tried against each unqualified-search registry in turn.
// The platform pulled is sys's OSChoice/ArchitectureChoice/VariantChoice, else the host's.
func Pull(ctx context.Context, store cstorage.Store, sys *types.SystemContext, name string, o PullOptions) (*cstorage.Image, error) {
	name = strings.TrimPrefix(name, "docker://")
	if _, err := reference.ParseNormalizedNamed(name); err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %w", name, err)
	}
	resolved, err := shortnames.Resolve(sys, name)
	if err != nil {
		return nil, resolveError(sys, name, err)
	}
	pc, err := policyContext(sys)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	report := o.Report
	if report == nil {
		report = io.Discard
	}
	var errs []string
	for _, c := range resolved.PullCandidates {
		fmt.Fprintf(report, "Trying to pull %s...\n", c.Value.String())
		retry := o.Retry
		if retry.Attempts == 0 {
			retry = DefaultRetry
		}
		var img *cstorage.Image
		err := retry.Do(ctx, report, func() (err error) {
			for again := 0; ; again++ {
				img, err = pullOne(ctx, store, sys, pc, c.Value, o.Report)
				if err == nil || again == 4 || !removedMeanwhile(err) {
					return err
				}
			}
		})
		if err != nil {
			var pe *PlatformError
			var re *RefusedError
			if errors.As(err, &pe) {
				errs = append(errs, pe.Error())
			} else if errors.As(err, &re) {
				errs = append(errs, re.Error())
			} else if strings.Contains(err.Error(), "manifest unknown") {
				errs = append(errs, oneLine(err)+unknownHint(ctx, sys, c.Value))
			} else {
				errs = append(errs, oneLine(err)+hint(err, sys, c.Value))
			}
			continue
		}
		if err := c.Record(); err != nil {
			fmt.Fprintf(report, "WARN[0000] %v\n", err)
		}
		return img, nil
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("pull %s: no registries to search: add unqualified-search-registries to registries.conf or use a full name", name)
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

// removedMeanwhile reports a pull that lost a race with an rpod rmi of the
// same image: it reused layers or the image record that the rmi then
// deleted. Pulling again fetches what is missing.
func removedMeanwhile(err error) bool {
	if errors.Is(err, cstorage.ErrLayerUnknown) || errors.Is(err, cstorage.ErrImageUnknown) || errors.Is(err, cstorage.ErrNotAnID) {
		return true
	}
	// containers/image does not wrap this one: a layer it found in the store went away.
	msg := err.Error()
	return strings.Contains(msg, "layer for blob") && strings.Contains(msg, "not found")
}

// resolveError explains a short name that cannot be resolved; for an
// ambiguous one in enforcing mode it lists the names the user may choose from.
func resolveError(sys *types.SystemContext, name string, err error) error {
	if !strings.Contains(err.Error(), "cannot prompt without a TTY") {
		return fmt.Errorf("resolve %q: %s", name, oneLine(err))
	}
	regs, _ := sysregistriesv2.UnqualifiedSearchRegistries(sys)
	var cands []string
	for _, r := range regs {
		if n, err := reference.ParseNormalizedNamed(r + "/" + name); err == nil {
			cands = append(cands, reference.TagNameOnly(n).String())
		}
	}
	return fmt.Errorf("short name %q is ambiguous and short-name-mode is enforcing, with no terminal to choose on: use a full name (one of %s) or add an alias in registries.conf", name, strings.Join(cands, ", "))
}

func policyContext(sys *types.SystemContext) (*signature.PolicyContext, error) {
	policy, err := Policy(sys)
	if err != nil {
		return nil, err
	}
	pc, err := signature.NewPolicyContext(policy)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return pc, nil
}

func pullOne(ctx context.Context, store cstorage.Store, sys *types.SystemContext, pc *signature.PolicyContext, named reference.Named, report io.Writer) (*cstorage.Image, error) {
	src, err := docker.NewReference(named)
	if err != nil {
		return nil, err
	}
	if err := checkPlatform(ctx, sys, src, named); err != nil {
		return nil, err
	}
	dst, err := istorage.Transport.NewStoreReference(store, named, "")
	if err != nil {
		return nil, err
	}
	opts, done := CopyOptions(report)
	opts.SourceCtx, opts.DestinationCtx = sys, sys
	_, err = copy.Image(ctx, pc, dst, src, opts)
	done()
	if err != nil {
		return nil, explainRefusal(ctx, sys, src, named.String(), err)
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

// hint names the fix for the pull and push failures users meet most.
func hint(err error, sys *types.SystemContext, named reference.Named) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return plainHTTPHint(err, reference.Domain(named))
	case strings.Contains(msg, "invalid username/password"):
		return fmt.Sprintf(": check the user name and password (--creds, or rpod login %s)", reference.Domain(named))
	case strings.Contains(msg, "authentication required") || strings.Contains(msg, "unauthorized"):
		if user := credentialsUser(sys, named); user != "" {
			return fmt.Sprintf(": invalid username/password for %q: check --creds, or rpod login %s again", user, reference.Domain(named))
		}
		return fmt.Sprintf(": log in first (rpod login %s) or pass --creds", reference.Domain(named))
	}
	return ""
}

// credentialsUser is the user whose credentials were offered for named, if any.
func credentialsUser(sys *types.SystemContext, named reference.Named) string {
	if sys != nil && sys.DockerAuthConfig != nil {
		return sys.DockerAuthConfig.Username
	}
	c, err := config.GetCredentialsForRef(sys, named)
	if err != nil {
		return ""
	}
	return c.Username
}

// unknownHint tells a missing tag from a missing repository, which the
// registry reports alike, by listing the repository's tags.
func unknownHint(ctx context.Context, sys *types.SystemContext, named reference.Named) string {
	repo := reference.TrimNamed(named)
	t, ok := named.(reference.Tagged)
	if !ok {
		return fmt.Sprintf(": no such image in %s", repo)
	}
	ref, err := docker.NewReference(named)
	if err != nil {
		return ""
	}
	tags, err := docker.GetRepositoryTags(ctx, sys, ref)
	if err != nil || len(tags) == 0 {
		return fmt.Sprintf(": no repository %s in the registry", repo)
	}
	shown := tags
	if len(shown) > 5 {
		shown = append(shown[:5:5], "...")
	}
	return fmt.Sprintf(": %s has no tag %q (tags: %s)", repo, t.Tag(), strings.Join(shown, ", "))
}
