package volume

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/rpod/rpod/internal/atomicfile"
	"github.com/rpod/rpod/internal/flock"
)

// Volume is one named volume, with podman's inspect fields.
type Volume struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	Labels     map[string]string `json:"Labels"`
	Scope      string            `json:"Scope"`
	Options    map[string]string `json:"Options"`
	// NeedsCopyUp is true until the first container copies the image's content in.
	NeedsCopyUp bool `json:"NeedsCopyUp,omitempty"`
	Anonymous   bool `json:"Anonymous,omitempty"`
}

// ErrNotFound is returned for a volume that does not exist.
var ErrNotFound = errors.New("no such volume")

// ErrExists is returned by Create for a name already taken.
var ErrExists = errors.New("volume already exists")

// Store is the volumes directory under a graphroot.
type Store struct{ dir string }

// New returns the volume store of the graphroot.
func New(graphRoot string) *Store { return &Store{dir: filepath.Join(graphRoot, "volumes")} }

func (s *Store) meta(name string) string { return filepath.Join(s.dir, name, "rpod-volume.json") }

// Lock serializes changes to the store between rpod processes.
func (s *Store) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create volumes directory: %w", err)
	}
	unlock, err = flock.Exclusive(filepath.Join(s.dir, ".lock"))
	if err != nil {
		return nil, fmt.Errorf("lock volumes: %w", err)
	}
	return unlock, nil
}

// Create makes a volume; an empty name makes an anonymous one with a random name.
func (s *Store) Create(name string, labels map[string]string) (*Volume, error) {
	unlock, err := s.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.create(name, labels, false)
}

func (s *Store) create(name string, labels map[string]string, anonymous bool) (*Volume, error) {
	if name == "" {
		var b [32]byte
		rand.Read(b[:])
		name = hex.EncodeToString(b[:])
		anonymous = true
	}
	if !ValidName(name) {
		return nil, fmt.Errorf("invalid volume name %q: names are [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	if _, err := s.get(name); err == nil {
		return nil, fmt.Errorf("volume with name %s already exists: %w", name, ErrExists)
	}
	if labels == nil {
		labels = map[string]string{}
	}
	v := &Volume{Name: name, Driver: "local", Mountpoint: filepath.Join(s.dir, name, "_data"), CreatedAt: time.Now(),
		Labels: labels, Scope: "local", Options: map[string]string{}, NeedsCopyUp: true, Anonymous: anonymous}
	if err := os.MkdirAll(v.Mountpoint, 0o755); err != nil {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	// MkdirAll honours the umask; a volume's root is 0755 as podman's.
	os.Chmod(v.Mountpoint, 0o755)
	if err := s.save(v); err != nil {
		os.RemoveAll(filepath.Join(s.dir, name))
		return nil, err
	}
	return v, nil
}

func (s *Store) save(v *Volume) error {
	b, _ := json.MarshalIndent(v, "", "  ")
	if err := atomicfile.WriteFile(s.meta(v.Name), b, 0o600); err != nil {
		return fmt.Errorf("record volume %s: %w", v.Name, err)
	}
	return nil
}

// Get returns the named volume.
func (s *Store) Get(name string) (*Volume, error) { return s.get(name) }

func (s *Store) get(name string) (*Volume, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("no volume with name %q found: %w", name, ErrNotFound)
	}
	b, err := os.ReadFile(s.meta(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no volume with name %q found: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read volume %s: %w", name, err)
	}
	var v Volume
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("read volume %s: %w", name, err)
	}
	v.Mountpoint = filepath.Join(s.dir, name, "_data")
	return &v, nil
}

// GetOrCreate returns the named volume, creating it on first use as -v NAME:/dst does.
func (s *Store) GetOrCreate(name string) (v *Volume, created bool, err error) {
	unlock, err := s.Lock()
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	if name != "" {
		if v, err := s.get(name); err == nil {
			return v, false, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
	}
	v, err = s.create(name, nil, name == "")
	return v, err == nil, err
}

// List returns every volume, sorted by name.
func (s *Store) List() ([]*Volume, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var out []*Volume
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if v, err := s.get(e.Name()); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove deletes a volume and its data; the caller checks that no container
// uses it. Data owned by subordinate ids needs rpod's user namespace.
func (s *Store) Remove(name string) error {
	if _, err := s.get(name); err != nil {
		return err
	}
	if err := os.Remove(s.meta(name)); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	if err := os.RemoveAll(filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("remove volume %s data: %w", name, err)
	}
	return nil
}

// CopyUpOnce copies src (the image's content at the mount point) into an
// empty volume the first time a container uses it, as podman does.
func (s *Store) CopyUpOnce(name, src string) error {
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	v, err := s.get(name)
	if err != nil || !v.NeedsCopyUp {
		return err
	}
	ents, err := os.ReadDir(v.Mountpoint)
	if err != nil {
		return fmt.Errorf("volume %s: %w", name, err)
	}
	if len(ents) == 0 && src != "" {
		if err := CopyTree(src, v.Mountpoint); err != nil {
			return fmt.Errorf("copy image content into volume %s: %w", name, err)
		}
	}
	v.NeedsCopyUp = false
	return s.save(v)
}
