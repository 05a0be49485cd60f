package runtime

import (
	"syscall"

	cstorage "go.podman.io/storage"
)

// UserNS is the container's --userns mode; the zero value shares rpod's
// user namespace, as podman's rootless default does.
type UserNS struct {
	Mode string `json:"mode,omitempty"`
}

// userNamespace adds the container's own user namespace to attr, if its mode needs one.
func userNamespace(s *Spec, attr *syscall.SysProcAttr) error { return nil }

// storageOptions are the ID mappings the container's layer needs for its mode.
func storageOptions(cfg *Config) (*cstorage.ContainerOptions, error) { return nil, nil }
