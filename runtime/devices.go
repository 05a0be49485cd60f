package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Device is a host device node bind-mounted into the container (--device).
type Device struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Permissions string `json:"permissions,omitempty"` // rwm
	// Optional devices (--privileged's) are skipped when they cannot be bound.
	Optional bool `json:"optional,omitempty"`
}

// ParseDevice parses podman's --device HOST[:CONTAINER][:PERMS]; PERMS is
// a set of r, w and m (default rwm), CONTAINER defaults to HOST.
func ParseDevice(s string) (Device, error) {
	parts := strings.Split(s, ":")
	d := Device{Permissions: "rwm"}
	switch len(parts) {
	case 3:
		if !validPerms(parts[2]) {
			return Device{}, fmt.Errorf("invalid --device %q: %q is not a set of permissions r, w and m", s, parts[2])
		}
		d.Permissions = parts[2]
		if !strings.HasPrefix(parts[1], "/") {
			return Device{}, fmt.Errorf("invalid --device %q: the container path %q must be absolute", s, parts[1])
		}
		d.Destination = parts[1]
	case 2:
		if validPerms(parts[1]) {
			d.Permissions = parts[1]
		} else if strings.HasPrefix(parts[1], "/") {
			d.Destination = parts[1]
		} else {
			return Device{}, fmt.Errorf("invalid --device %q: %q is neither an absolute container path nor permissions (r, w, m)", s, parts[1])
		}
	case 1:
	default:
		return Device{}, fmt.Errorf("invalid --device %q: use HOST[:CONTAINER][:PERMISSIONS]", s)
	}
	d.Source = parts[0]
	if !strings.HasPrefix(d.Source, "/") {
		return Device{}, fmt.Errorf("invalid --device %q: the host path %q must be absolute", s, d.Source)
	}
	if d.Destination == "" {
		d.Destination = d.Source
	}
	d.Source, d.Destination = filepath.Clean(d.Source), filepath.Clean(d.Destination)
	if d.Destination == "/" {
		return Device{}, fmt.Errorf("invalid --device %q: the container path cannot be /", s)
	}
	return d, nil
}

func validPerms(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// ResolveDevice checks d on the host: it must be a device node the user
// may open (a rootless container cannot open one the user cannot), or a
// directory, which stands for the devices under it that the user may open.
func ResolveDevice(d Device) ([]Device, error) {
	st, err := os.Stat(d.Source)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--device %s: no such device on the host", d.Source)
	case err != nil:
		return nil, fmt.Errorf("--device %s: %v", d.Source, cause(err))
	case st.IsDir():
		var out []Device
		filepath.WalkDir(d.Source, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !isDevice(e.Type()) || userCanOpen(p, d.Permissions) != nil {
				return nil
			}
			rel, _ := filepath.Rel(d.Source, p)
			out = append(out, Device{Source: p, Destination: filepath.Join(d.Destination, rel), Permissions: d.Permissions})
			return nil
		})
		if len(out) == 0 {
			return nil, fmt.Errorf("--device %s: the directory holds no device your user can open", d.Source)
		}
		return out, nil
	case !isDevice(st.Mode().Type()):
		return nil, fmt.Errorf("--device %s: not a device node", d.Source)
	}
	if err := userCanOpen(d.Source, d.Permissions); err != nil {
		return nil, fmt.Errorf("--device %s: your user cannot open it (%v): a rootless container gets only the devices its user may open", d.Source, err)
	}
	return []Device{d}, nil
}

func isDevice(m fs.FileMode) bool { return m&(fs.ModeDevice|fs.ModeCharDevice) != 0 }

// userCanOpen asks the kernel whether any of the accesses perms names is
// allowed. In rpod's user namespace root's override does not reach files
// of unmapped owners, so this is what the user may do on the host.
func userCanOpen(p, perms string) error {
	var modes []uint32
	if strings.Contains(perms, "r") {
		modes = append(modes, unix.R_OK)
	}
	if strings.Contains(perms, "w") {
		modes = append(modes, unix.W_OK)
	}
	if len(modes) == 0 {
		modes = []uint32{unix.R_OK, unix.W_OK}
	}
	var err error
	for _, m := range modes {
		if err = unix.Access(p, m); err == nil {
			return nil
		}
	}
	return err
}

// hostDevices are bound from the host into each container's /dev
// (runtime/step/mounts.c): a user namespace may not mknod.
var hostDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// Devices rpod always binds, or that are the container's own (its devpts,
// console and ipc mounts): --privileged does not bring the host's.
var ownDevices = map[string]bool{"/dev/console": true, "/dev/ptmx": true, "/dev/pts": true, "/dev/shm": true, "/dev/mqueue": true}

// PrivilegedDevices lists the host's device nodes under /dev that the user
// may open: podman's rootless --privileged binds them all.
func PrivilegedDevices() []Device {
	var out []Device
	filepath.WalkDir("/dev", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if ownDevices[p] {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !isDevice(e.Type()) || isHostDevice(p) || userCanOpen(p, "rw") != nil {
			return nil
		}
		out = append(out, Device{Source: p, Destination: p, Permissions: "rwm", Optional: true})
		return nil
	})
	return out
}

func isHostDevice(p string) bool {
	for _, d := range hostDevices {
		if p == "/dev/"+d {
			return true
		}
	}
	return false
}
