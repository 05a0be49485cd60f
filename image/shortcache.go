package image

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage/pkg/configfile"
	"go.podman.io/storage/pkg/homedir"
	"go.podman.io/storage/pkg/unshare"

	"github.com/rpod/rpod/internal/atomicfile"
)

// shortNameCacheFile is where a store keeps the short names it resolved, in
// its run root (a tmpfs, emptied at boot).
func shortNameCacheFile(runRoot string) string {
	return filepath.Join(runRoot, "rpod", "short-names.json")
}

// shortNames is a cache of what containers/image's configuration says
// about short names: parsing it (registries.conf, its drop-ins, and on
// Debian shortnames.conf's 70 aliases, each checked with docker/reference's
// expressions) took some 2 ms of every run of a short name
// (bench/README.md, session 16). Key fingerprints every file the library
// would read for it; a cache with another key is ignored.
type shortNames struct {
	Key     string            `json:"key"`
	Regs    []string          `json:"unqualifiedSearchRegistries"`
	Aliases map[string]string `json:"aliases"` // short name: its alias, "" for none
}

// shortNameConfig returns the alias of the short name path ("" for none)
// and the unqualified-search registries, from cacheFile when its key
// still holds ("": no cache), else from containers/image, keeping them.
func shortNameConfig(sys *types.SystemContext, path, cacheFile string) (alias string, regs []string, err error) {
	key := ""
	if cacheFile != "" {
		key = shortNameKey(sys)
	}
	var c shortNames
	if key != "" {
		if b, err := os.ReadFile(cacheFile); err == nil && json.Unmarshal(b, &c) == nil && c.Key == key {
			if a, ok := c.Aliases[path]; ok {
				return a, c.Regs, nil
			}
		} else {
			c = shortNames{Key: key}
		}
	}
	named, _, err := sysregistriesv2.ResolveShortNameAlias(sys, path)
	if err != nil {
		return "", nil, err
	}
	if named != nil {
		alias = named.String()
	}
	if regs, err = sysregistriesv2.UnqualifiedSearchRegistries(sys); err != nil {
		return "", nil, err
	}
	if key != "" {
		if c.Aliases == nil {
			c.Aliases = map[string]string{}
		}
		c.Regs, c.Aliases[path] = regs, alias
		// A cache that cannot be written is only a slower next run.
		if b, err := json.Marshal(c); err == nil && os.MkdirAll(filepath.Dir(cacheFile), 0o700) == nil {
			_ = atomicfile.Swap(cacheFile, b, 0o600)
		}
	}
	return alias, regs, nil
}

// shortNameKey fingerprints what containers/image reads to resolve a
// short name for sys: the registries.conf files and drop-ins, found by the
// same search (configfile, with the options sysregistriesv2 gives it), and
// the user's short-name-aliases.conf, under either path the library may
// choose for it. "" when one could not be read: no cache then.
func shortNameKey(sys *types.SystemContext) string {
	h := sha256.New()
	field := func(s string) {
		io.WriteString(h, strconv.Itoa(len(s)))
		io.WriteString(h, ":")
		io.WriteString(h, s)
	}
	field("rpod short names 1")
	opts := &configfile.File{
		Name:            "registries",
		Extension:       "conf",
		EnvironmentName: "CONTAINERS_REGISTRIES_CONF",
		UserId:          unshare.GetRootlessUID(),
	}
	if sys != nil {
		opts.RootForImplicitAbsolutePaths = sys.RootForImplicitAbsolutePaths
		opts.CustomConfigFilePath = sys.SystemRegistriesConfPath
		opts.CustomConfigFileDropInDirectory = sys.SystemRegistriesConfDirPath
		field(sys.UserShortNameAliasConfPath)
	}
	for item, err := range configfile.Read(opts) {
		if err != nil {
			return ""
		}
		b, err := io.ReadAll(item.Reader)
		if err != nil {
			return ""
		}
		field(item.Name)
		field(string(b))
	}
	aliasFiles := []string{filepath.Join("/var/cache", "containers", "short-name-aliases.conf")}
	if cache, err := homedir.GetCacheHome(); err == nil {
		aliasFiles = append(aliasFiles, filepath.Join(cache, "containers", "short-name-aliases.conf"))
	}
	if sys != nil && sys.UserShortNameAliasConfPath != "" {
		aliasFiles = []string{sys.UserShortNameAliasConfPath}
	}
	for _, p := range aliasFiles {
		b, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			field(p + " absent")
		case err != nil:
			return ""
		default:
			field(p)
			field(string(b))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
