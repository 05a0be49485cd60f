package image

import (
	"strings"

	"go.podman.io/image/v5/types"
)

// shortCandidates is the list of names a short name ("busybox",
// "user/app:1") may be stored under, in the order podman tries them: its
// alias, then localhost and each unqualified-search registry. It is what
// containers/image's shortnames.ResolveLocally returns, without that
// function's reference parsing: adding a tag to a name compiles
// docker/reference's tag expression, whose {0,127} repetition makes a large
// program, and a start paid some 200 page faults and 3 ms of CPU for it
// (bench/README.md, session 15). ok is false for anything unusual (digests,
// an image id, a registry that is not a host name), which takes the
// library's way. cacheFile, when not "", keeps what the configuration
// says between runs (shortNameConfig).
func shortCandidates(sys *types.SystemContext, name, cacheFile string) (cands []string, ok bool, err error) {
	if sys != nil && sys.PodmanOnlyShortNamesIgnoreRegistriesConfAndForceDockerHub {
		return nil, false, nil
	}
	// A 64-hex name is an image id, which the library refuses as a name.
	if strings.ContainsRune(name, '@') || len(name) > 255 || len(name) == 64 && strings.Trim(name, "0123456789abcdef") == "" {
		return nil, false, nil
	}
	if first, _, found := strings.Cut(name, "/"); found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return nil, false, nil // not short
	}
	path, tag, valid := splitRepoTag(name)
	if !valid {
		return nil, false, nil
	}
	alias, regs, err := shortNameConfig(sys, path, cacheFile) // shortcache.go
	if err != nil {
		return nil, false, err
	}
	if alias != "" {
		cands = append(cands, alias+":"+tag)
	}
	for _, reg := range append([]string{"localhost"}, regs...) {
		full, ok := qualifiedName(reg + "/" + name)
		if !ok {
			return nil, false, nil
		}
		cands = append(cands, full)
	}
	return cands, true, nil
}
