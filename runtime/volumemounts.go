package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Mount is one user mount: a bind of a host path (named volumes are binds
// of their _data directory) or a tmpfs.
type Mount struct {
	Type        string `json:"type"` // "bind" or "tmpfs"
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	ReadOnly    bool   `json:"readOnly,omitempty"`
	// Options are mount flags by name: nosuid, nodev, noexec.
	Options []string `json:"options,omitempty"`
	// Data is a tmpfs's mount data (size=, mode=).
	Data string `json:"data,omitempty"`
	// Chown gives the source to the container's user at create (U).
	Chown bool `json:"chown,omitempty"`
}

// UserConfig is what a container records beyond its spec: the named volumes
// it uses (so that rpod volume rm can refuse), its labels and annotations.
type UserConfig struct {
	Volumes     []string          `json:"volumes,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Entrypoint and Command are the two parts of Spec.Args, for inspect.
	Entrypoint []string `json:"entrypoint,omitempty"`
	Command    []string `json:"command,omitempty"`
}

// ErrEscapesRoot is returned by ResolveIn for a path that leaves the root.
var ErrEscapesRoot = errors.New("the path goes through a symlink that leaves the container's root")

// ResolveIn resolves p inside root as the container would see it: symlinks
// are followed with absolute targets taken from root, and a ".." that would
// climb above root is refused. Missing components are kept as named.
func ResolveIn(root, p string) (string, error) {
	var done []string
	pending := strings.Split(filepath.Clean("/"+p), "/")
	links := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", fmt.Errorf("%s: %w", p, ErrEscapesRoot)
			}
			done = done[:len(done)-1]
			continue
		}
		cur := filepath.Join(root, filepath.Join(done...), c)
		st, err := os.Lstat(cur)
		switch {
		case errors.Is(err, os.ErrNotExist):
			done = append(done, c)
			continue
		case err != nil:
			return "", err
		case st.Mode()&os.ModeSymlink == 0:
			done = append(done, c)
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		dest, err := os.Readlink(cur)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(dest) {
			done = nil
		}
		pending = append(strings.Split(dest, "/"), pending...)
	}
	return filepath.Join(root, filepath.Join(done...)), nil
}

var mountFlags = map[string]uintptr{"nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV, "noexec": unix.MS_NOEXEC}
