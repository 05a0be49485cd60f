//go:build !rpodlight

package image

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"
)

// Login checks user and password against the registry of key and, when
// they are accepted, saves them in sys's auth file; it returns that file.
func Login(ctx context.Context, sys *types.SystemContext, key, user, password string) (string, error) {
	host, _, _ := strings.Cut(key, "/")
	if err := docker.CheckAuth(ctx, sys, user, password, host); err != nil {
		var ue docker.ErrUnauthorizedForCredentials
		if errors.As(err, &ue) {
			return "", fmt.Errorf("login to %s: invalid username/password", key)
		}
		return "", fmt.Errorf("login to %s: %s%s", key, oneLine(err), plainHTTPHint(err, host))
	}
	path, err := config.SetCredentials(sys, key, user, password)
	if err != nil {
		return "", fmt.Errorf("save credentials for %s: %w", key, err)
	}
	return path, nil
}

// Logout removes the credentials of key (all of them when key is "") from sys's auth file.
func Logout(sys *types.SystemContext, key string) error {
	if key == "" {
		if err := config.RemoveAllAuthentication(sys); err != nil {
			return fmt.Errorf("remove all credentials: %w", err)
		}
		return nil
	}
	err := config.RemoveAuthentication(sys, key)
	if errors.Is(err, config.ErrNotLoggedIn) {
		return fmt.Errorf("not logged into %s", key)
	}
	if err != nil {
		return fmt.Errorf("log out of %s: %w", key, err)
	}
	return nil
}

// plainHTTPHint names the fixes when a registry answers HTTPS with plain HTTP.
func plainHTTPHint(err error, host string) string {
	if !strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return ""
	}
	return fmt.Sprintf(": the registry speaks plain HTTP: use --tls-verify=false or mark it insecure in registries.conf ([[registry]] location = %q, insecure = true)", host)
}
