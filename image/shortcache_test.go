package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
)

// The cache answers as containers/image does, and any change to a file the
// library reads (registries.conf, a drop-in, the user's aliases) outdates it.
func TestShortNameCacheFollowsConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	dropIns := filepath.Join(dir, "registries.conf.d")
	userAliases := filepath.Join(dir, "short-name-aliases.conf")
	cache := shortNameCacheFile(filepath.Join(dir, "run"))
	sys := &types.SystemContext{SystemRegistriesConfPath: conf, SystemRegistriesConfDirPath: dropIns, UserShortNameAliasConfPath: userAliases}
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		sysregistriesv2.InvalidateCache() // the library's own, in this process
	}
	check := func(step, name string) []string {
		t.Helper()
		got, ok, err := shortCandidates(sys, name, cache)
		if err != nil || !ok {
			t.Fatalf("%s: shortCandidates(%q): %v %v", step, name, ok, err)
		}
		lib, err := libraryCandidates(sys, name)
		if err != nil || !slices.Equal(got, lib) {
			t.Errorf("%s: shortCandidates(%q) = %q, the library's %q (%v)", step, name, got, lib, err)
		}
		return got
	}

	write(conf, "unqualified-search-registries = [\"docker.io\"]\n[aliases]\n\"busybox\" = \"quay.io/busybox\"\n")
	check("first run", "busybox")
	check("first run", "alpine")
	b, err := os.ReadFile(cache)
	if err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	var c shortNames
	if err := json.Unmarshal(b, &c); err != nil || c.Key == "" || c.Aliases["busybox"] != "quay.io/busybox" || c.Aliases["alpine"] != "" {
		t.Fatalf("cache = %s (%v)", b, err)
	}

	// Read from the cache while the files are as they were.
	c.Aliases["busybox"] = "example.com/from-the-cache"
	b, _ = json.Marshal(c)
	if err := os.WriteFile(cache, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := shortCandidates(sys, "busybox", cache); len(got) == 0 || got[0] != "example.com/from-the-cache:latest" {
		t.Errorf("unchanged files: %q, want the cached alias first", got)
	}

	write(conf, "unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n[aliases]\n\"busybox\" = \"quay.io/other/busybox\"\n")
	check("registries.conf changed", "busybox")
	write(filepath.Join(dropIns, "50-mine.conf"), "[aliases]\n\"busybox\" = \"registry.example/busybox\"\n")
	check("a drop-in added", "busybox")
	write(userAliases, "[aliases]\n\"busybox\" = \"user.example/busybox\"\n")
	if got := check("the user's alias added", "busybox"); got[0] != "user.example/busybox:latest" {
		t.Errorf("the user's alias does not come first: %q", got)
	}
	if err := os.Remove(filepath.Join(dropIns, "50-mine.conf")); err != nil {
		t.Fatal(err)
	}
	sysregistriesv2.InvalidateCache()
	check("a drop-in removed", "busybox")
	write(cache, "{not json")
	check("a damaged cache", "busybox")
}

// A configuration the library refuses is an error, never a cached answer.
func TestShortNameCacheKeepsNoError(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	cache := shortNameCacheFile(filepath.Join(dir, "run"))
	sys := &types.SystemContext{SystemRegistriesConfPath: conf, SystemRegistriesConfDirPath: filepath.Join(dir, "none.d"),
		UserShortNameAliasConfPath: filepath.Join(dir, "aliases.conf")}
	if err := os.WriteFile(conf, []byte("[aliases]\n\"busybox\" = \"not a reference!\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sysregistriesv2.InvalidateCache()
	if _, _, err := shortCandidates(sys, "busybox", cache); err == nil {
		t.Error("an invalid alias was accepted")
	}
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("a cache was written for a refused configuration: %v", err)
	}
}
