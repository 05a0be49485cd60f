package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
)

// FuzzNormalizeName: an image name from the command line (tag, untag)
// never panics; a name it accepts is a valid reference and normalises to itself.
func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:1.36", "quay.io/x/y:z", "localhost:5000/a/b", "a@sha256:" + strings.Repeat("0", 64), "UPPER", "a//b", ":tag", "x:", "[::1]:5000/img"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeName(s)
		if err != nil {
			return
		}
		if _, err := reference.ParseNormalizedNamed(n); err != nil {
			t.Fatalf("NormalizeName(%q) = %q, not a reference: %v", s, n, err)
		}
		if again, err := NormalizeName(n); err != nil || again != n {
			t.Fatalf("NormalizeName(%q) = %q, then %q %v", s, n, again, err)
		}
	})
}

// FuzzMatchReference: --filter reference=PATTERN never panics, and a name
// without glob characters matches itself.
func FuzzMatchReference(f *testing.F) {
	f.Add("busy*", "docker.io/library/busybox:latest")
	f.Add("[", "x")
	f.Add("a/b:c", "a/b:c")
	f.Add("*:*", "localhost/x")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		MatchReference(pattern, []string{name})
		if name != "" && !strings.ContainsAny(name, `*?[\`) && !MatchReference(name, []string{name}) {
			t.Fatalf("%q does not match itself", name)
		}
	})
}

// FuzzParseTransportRef: TRANSPORT:REF of load, save, push and pull never
// panics (containers-storage: is left out: it opens a store).
func FuzzParseTransportRef(f *testing.F) {
	for _, s := range []string{"docker://busybox", "docker-archive:/tmp/x.tar:busybox:latest", "oci:/tmp/dir:tag", "oci-archive:/x.tar", "dir:/tmp/d", "docker-daemon:busybox:latest", "nope:x", ":", "docker://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.HasPrefix(s, "containers-storage:") {
			return
		}
		ref, err := parseTransportRef(s)
		if err == nil && ref == nil {
			t.Fatalf("%q: no reference and no error", s)
		}
	})
}

// FuzzRegistriesConf: a registries.conf fragment (search registries,
// aliases, short-name mode, [[registry]] tables) as rpod reads it never
// panics pull's short-name resolution or rpod info's registry list.
func FuzzRegistriesConf(f *testing.F) {
	for _, s := range []string{
		"unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n",
		"short-name-mode = \"enforcing\"\n[aliases]\n\"busybox\" = \"docker.io/library/busybox\"\n",
		"[[registry]]\nlocation = \"localhost:5000\"\ninsecure = true\n[[registry.mirror]]\nlocation = \"m.example\"\n",
		"[[registry]]\nprefix = \"*.example.com\"\nlocation = \"r.example\"\nblocked = true\n",
		"unqualified-search-registries = [\"\"]\n",
		"[aliases]\n\"x\" = \"y:tag@sha256:00\"\n",
		"= broken",
	} {
		f.Add(s, "busybox")
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, conf, name string) {
		p := filepath.Join(dir, "registries.conf")
		if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		sys := &types.SystemContext{
			SystemRegistriesConfPath:    p,
			SystemRegistriesConfDirPath: filepath.Join(dir, "none.d"),
			UserShortNameAliasConfPath:  filepath.Join(dir, "aliases.conf"),
		}
		sysregistriesv2.InvalidateCache()
		sysregistriesv2.UnqualifiedSearchRegistries(sys)
		shortnames.ResolveLocally(sys, name)
		if r, err := shortnames.Resolve(sys, name); err == nil && r == nil {
			t.Fatalf("%q: no resolution and no error", name)
		}
	})
}
