package image

import (
	"errors"

	"go.podman.io/image/v5/types"
	cstorage "go.podman.io/storage"
)

// ErrFullOnly is what a light build of rpod (the rpodlight tag) returns
// from a transfer call it hands to no full rpod: the caller runs the
// command in the full rpod instead (cmd/rpod's execFull).
var ErrFullOnly = errors.New("not in a light rpod: the full rpod does this")

// FullCall is a pull a light rpod has the full rpod it carries make, in a
// child process (cmd/rpod's hidden __image command), as JSON.
type FullCall struct {
	// Op is "pull" (Pull of Name) or "copyin" (CopyIn of Name).
	Op     string               `json:"op"`
	Name   string               `json:"name"`
	Sys    *types.SystemContext `json:"sys"`
	Retry  Retry                `json:"retry"`
	Report bool                 `json:"report"`
}

// FullResult is the child's answer: the records of the images it put in
// the store, as it found them there, or the error's message. The records
// themselves, not their IDs: looked up again by the caller, an image a
// concurrent rmi removed meanwhile failed a pull that had succeeded.
type FullResult struct {
	Images []cstorage.Image `json:"images,omitempty"`
	Err    string           `json:"err,omitempty"`
}

// FullCallEnv carries a FullCall to the child, which FullCallCommand runs.
const (
	FullCallEnv     = "_RPOD_FULL_CALL"
	FullCallCommand = "__image"
)

// FullArgs gives the global flags (the store's) the full rpod is run with
// for a FullCall; cmd/rpod sets it.
var FullArgs func() []string

// transportNames are the containers/image transports other than docker://
// that a full rpod handles (transport.go imports them; a test checks the
// list against the registered ones), for a light build's HasTransport.
var transportNames = []string{"containers-storage", "dir", "docker-archive", "oci", "oci-archive", "tarball"}
