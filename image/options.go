package image

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/manifest"
	cstorage "go.podman.io/storage"
)

// The options and argument checks of the transfer calls (pull.go, push.go,
// save.go, ...), which a light build (light.go) has too.

// PullOptions tunes a pull.
type PullOptions struct {
	// Report receives podman-style progress lines; nil discards them.
	Report io.Writer
	// Retry says how transient registry failures are retried; zero means DefaultRetry.
	Retry Retry
}

// Retry says how often a registry operation is tried and how long to wait
// before the first retry; the wait doubles each time, as podman's --retry-delay.
type Retry struct {
	Attempts int
	Delay    time.Duration
}

// DefaultRetry is podman's default: three attempts, waiting 1s then 2s.
var DefaultRetry = Retry{Attempts: 3, Delay: time.Second}

// ParseCreds splits --creds USER[:PASSWORD]; the user may not be empty.
func ParseCreds(s string) (user, password string, err error) {
	user, password, _ = strings.Cut(s, ":")
	if user == "" {
		return "", "", errors.New("invalid --creds: want USER:PASSWORD, with a user name")
	}
	return user, password, nil
}

// RegistryKey turns login's argument (a registry, with an optional
// repository, and maybe a scheme or a trailing slash) into auth.json's key.
func RegistryKey(arg string) (string, error) {
	key := arg
	for _, p := range []string{"docker://", "https://", "http://"} {
		key = strings.TrimPrefix(key, p)
	}
	key = strings.TrimRight(key, "/")
	if key == "" || strings.ContainsAny(key, " \t\n@") || strings.HasPrefix(key, "/") || strings.Contains(key, "//") {
		return "", fmt.Errorf("invalid registry %q: want a host[:port], optionally with a repository", arg)
	}
	return key, nil
}

// PushOptions tunes a push.
type PushOptions struct {
	// Report receives podman-style progress lines; nil discards them.
	Report io.Writer
	// Format is the manifest type written: "oci", "v2s2", or "" for the image's own.
	Format string
}

// ManifestType maps push's --format to a manifest MIME type ("" keeps the image's own).
func ManifestType(format string) (string, error) {
	switch strings.ToLower(format) {
	case "":
		return "", nil
	case "oci":
		return imgspecv1.MediaTypeImageManifest, nil
	case "v2s2", "docker":
		return manifest.DockerV2Schema2MediaType, nil
	}
	return "", fmt.Errorf("unknown manifest format %q: use oci or v2s2", format)
}

// SaveOptions says what Save writes and where.
type SaveOptions struct {
	// Format is DockerArchive (the default), OCIArchive, OCIDir or DockerDir.
	Format string
	// Output is the file, or the directory for the dir formats; "" means Stdout.
	Output string
	Stdout io.Writer
	// Report receives progress lines; nil discards them.
	Report io.Writer
}

// Loaded is one image copied into the store, with the names it was given
// ("sha256:ID" when the source had none), as podman load reports them.
type Loaded struct {
	Image *cstorage.Image
	Names []string
}

// CommitOptions tunes Commit.
type CommitOptions struct {
	// Name is the new image's name, completed as podman does; "" leaves it unnamed.
	Name string
	// Changes are --change instructions applied over the base image's config.
	Changes []string
	Message string
	Author  string
}

// ImportOptions tunes Import.
type ImportOptions struct {
	// Name is the image's name, completed as podman does; "" leaves it unnamed.
	Name string
	// Changes are --change instructions (CMD, ENV, ...); Message is the history comment.
	Changes []string
	Message string
	Report  io.Writer
}
