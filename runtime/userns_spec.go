package runtime

import "go.podman.io/storage/pkg/idtools"

// UserNS is the container's --userns mode; the zero value shares rpod's
// user namespace, as podman's rootless default does.
type UserNS struct {
	Mode string `json:"mode,omitempty"`
	// UID and GID are keep-id's ids inside the container (nil: the user's own).
	UID *uint32 `json:"uid,omitempty"`
	GID *uint32 `json:"gid,omitempty"`
	// UIDMap and GIDMap map the container's ids to rpod's namespace; they
	// are fixed when the container is created, as its layer is shifted by them.
	UIDMap []idtools.IDMap `json:"uidMap,omitempty"`
	GIDMap []idtools.IDMap `json:"gidMap,omitempty"`
	// UserName and UserHome are the user's own, for the passwd entry
	// keep-id adds when the image has none for its uid, as podman does.
	UserName string `json:"userName,omitempty"`
	UserHome string `json:"userHome,omitempty"`
}

// The --userns modes rpod takes.
const (
	UserNSHost   = "host"
	UserNSKeepID = "keep-id"
	UserNSNoMap  = "nomap"
)
