// Package ctrindex is rpod's index of its containers, kept outside
// containers/storage so that no command pays for the store's other
// containers: a directory per container holding its record, a symbolic
// link per name, and the references that keep each image in use.
//
// Under the graphroot's rpod/ directory:
//
//	containers/<id>/config.json   the record; the container exists while it does
//	names/<name> -> <id>          a name; one whose container is gone is free
//	refs/<key>/<id>               container id uses what key names (an image)
//	trash/<id>                    a removed container's directory, being deleted
//
// Changes to names, records and references are made under Lock, which is
// held for a few file operations only: readers take no lock.
package ctrindex

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rpod/rpod/internal/atomicfile"
	"github.com/rpod/rpod/internal/flock"
)

// ErrUnknown is returned by Lookup for a name or id no container has.
var ErrUnknown = errors.New("no such container")

// ErrAmbiguous is returned by Lookup for an id prefix several containers share.
var ErrAmbiguous = errors.New("more than one container has that id prefix")

// ErrNameInUse is returned by Add and Rename for a name another container has.
var ErrNameInUse = errors.New("name already in use")

const configFile = "config.json"

// Index is the index under one store's graphroot and runroot.
type Index struct {
	dir, runDir string
}

// New returns the index of the store at graphRoot and runRoot.
func New(graphRoot, runRoot string) *Index {
	return &Index{dir: filepath.Join(graphRoot, "rpod"), runDir: filepath.Join(runRoot, "rpod")}
}

// Dir is the container's directory: its record, state, log and its own store.
func (x *Index) Dir(id string) string { return filepath.Join(x.dir, "containers", id) }

// RunDir is the container's directory under the runroot, gone at reboot.
func (x *Index) RunDir(id string) string { return filepath.Join(x.runDir, "containers", id) }

func (x *Index) nameLink(name string) string { return filepath.Join(x.dir, "names", name) }

// Lock takes the index's lock for a change; unlock releases it.
func (x *Index) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(x.dir, 0o700); err != nil {
		return nil, fmt.Errorf("container index: %w", err)
	}
	unlock, err = flock.Exclusive(filepath.Join(x.dir, "containers.lock"))
	if err != nil {
		return nil, fmt.Errorf("container index: %w", err)
	}
	return unlock, nil
}

// Exists reports whether the container id has a record.
func (x *Index) Exists(id string) bool {
	if !validID(id) {
		return false
	}
	_, err := os.Lstat(filepath.Join(x.Dir(id), configFile))
	return err == nil
}

// Config reads the container's record.
func (x *Index) Config(id string) ([]byte, error) {
	if !validID(id) {
		return nil, ErrUnknown
	}
	b, err := os.ReadFile(filepath.Join(x.Dir(id), configFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrUnknown
	}
	return b, err
}

// Named returns the id of the container called name, if one is.
func (x *Index) Named(name string) (string, bool) {
	if !ValidName(name) {
		return "", false
	}
	id, err := os.Readlink(x.nameLink(name))
	if err != nil || !x.Exists(id) {
		return "", false
	}
	return id, true
}

// NameOf returns the name of container id, looked for among every name:
// for a container whose record, which has its name, is lost.
func (x *Index) NameOf(id string) (string, bool) {
	ents, _ := os.ReadDir(filepath.Join(x.dir, "names"))
	for _, e := range ents {
		if cur, err := os.Readlink(x.nameLink(e.Name())); err == nil && cur == id {
			return e.Name(), true
		}
	}
	return "", false
}

// Lookup finds a container by name, full id or unique id prefix.
func (x *Index) Lookup(idOrName string) (string, error) {
	if id, ok := x.Named(idOrName); ok {
		return id, nil
	}
	if x.Exists(idOrName) {
		return idOrName, nil
	}
	if !isHex(idOrName) {
		return "", ErrUnknown
	}
	ids, err := x.IDs()
	if err != nil {
		return "", err
	}
	found := ""
	for _, id := range ids {
		if strings.HasPrefix(id, idOrName) {
			if found != "" {
				return "", ErrAmbiguous
			}
			found = id
		}
	}
	if found == "" {
		return "", ErrUnknown
	}
	return found, nil
}

// IDs lists the containers that have a record, in directory order.
func (x *Index) IDs() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(x.dir, "containers"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		if validID(e.Name()) && x.Exists(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// Add records a new container called name; the caller holds Lock. sync
// makes the record survive a crash (one that goes at exit need not).
func (x *Index) Add(id, name string, config []byte, sync bool) error {
	if !validID(id) {
		return fmt.Errorf("invalid container id %q", id)
	}
	if err := x.claim(name, id); err != nil {
		return err
	}
	if err := os.MkdirAll(x.Dir(id), 0o700); err != nil {
		os.Remove(x.nameLink(name))
		return fmt.Errorf("container directory: %w", err)
	}
	if err := x.writeConfig(id, config, sync); err != nil {
		os.Remove(x.nameLink(name))
		os.RemoveAll(x.Dir(id))
		return err
	}
	return nil
}

// claim points name at id, unless a container that exists has it; the caller holds Lock.
func (x *Index) claim(name, id string) error {
	if !ValidName(name) {
		return fmt.Errorf("invalid container name %q: use letters, digits, _ . and -, starting with a letter or digit", name)
	}
	link := x.nameLink(name)
	if other, err := os.Readlink(link); err == nil {
		if other != id && x.Exists(other) {
			return fmt.Errorf("%w: by %.12s", ErrNameInUse, other)
		}
		// Left by a container removed or created only in part: free.
		os.Remove(link)
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		return fmt.Errorf("record the container name: %w", err)
	}
	if err := os.Symlink(id, link); err != nil {
		return fmt.Errorf("record the container name: %w", err)
	}
	return nil
}

// SetConfig replaces the record of a container that exists.
func (x *Index) SetConfig(id string, config []byte, sync bool) error {
	if !x.Exists(id) {
		return ErrUnknown
	}
	return x.writeConfig(id, config, sync)
}

func (x *Index) writeConfig(id string, config []byte, sync bool) error {
	write := atomicfile.WriteFile
	if !sync {
		write = atomicfile.Swap
	}
	if err := write(filepath.Join(x.Dir(id), configFile), config, 0o600); err != nil {
		return fmt.Errorf("write container record: %w", err)
	}
	return nil
}

// Rename moves name old of container id to name; the caller holds Lock and
// then records the new name in the container's record.
func (x *Index) Rename(id, old, name string) error {
	if err := x.claim(name, id); err != nil {
		return err
	}
	if cur, err := os.Readlink(x.nameLink(old)); err == nil && cur == id {
		os.Remove(x.nameLink(old))
	}
	return nil
}

// Remove takes the container's record, name and directories away; the
// caller holds Lock, and then deletes them with EmptyTrash. The record
// goes first, in one rename: a removal cut short leaves no container, only
// a directory in trash that a later EmptyTrash deletes.
func (x *Index) Remove(id, name string) error {
	if !validID(id) {
		return fmt.Errorf("invalid container id %q", id)
	}
	trash := filepath.Join(x.dir, "trash")
	if err := os.MkdirAll(trash, 0o700); err != nil {
		return fmt.Errorf("remove container %.12s: %w", id, err)
	}
	if err := os.Rename(x.Dir(id), filepath.Join(trash, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove container %.12s: %w", id, err)
	}
	if cur, err := os.Readlink(x.nameLink(name)); err == nil && cur == id {
		os.Remove(x.nameLink(name))
	}
	os.RemoveAll(x.RunDir(id))
	return nil
}

// EmptyTrash deletes what Remove took away, earlier removals' leftovers
// too. It needs no lock: a container's files can be many (its writable
// layer), and nothing else uses them; two rpods emptying it at once each
// skip what the other deleted.
func (x *Index) EmptyTrash() error {
	trash := filepath.Join(x.dir, "trash")
	ents, err := os.ReadDir(trash)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("empty the container trash: %w", err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(trash, e.Name())); err != nil {
			return fmt.Errorf("empty the container trash: %w", err)
		}
	}
	return nil
}

// AddRef records that container id uses key; the caller holds Lock.
func (x *Index) AddRef(key, id string) error {
	dir := filepath.Join(x.dir, "refs", key)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("record the container's image: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, id), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("record the container's image: %w", err)
	}
	f.Close()
	return nil
}

// Used reports whether a container that exists uses key; the caller holds Lock.
func (x *Index) Used(key string) bool { return len(x.refs(key)) > 0 }

// DropRef records that container id no longer uses key; the caller holds Lock.
func (x *Index) DropRef(key, id string) {
	os.Remove(filepath.Join(x.dir, "refs", key, id))
}

// DropKey forgets key, which no container uses; the caller holds Lock.
func (x *Index) DropKey(key string) error {
	if err := os.RemoveAll(filepath.Join(x.dir, "refs", key)); err != nil {
		return fmt.Errorf("forget %.12s: %w", key, err)
	}
	return nil
}

// refs are the containers that use key, less those a crash left behind.
func (x *Index) refs(key string) []string {
	dir := filepath.Join(x.dir, "refs", key)
	ents, _ := os.ReadDir(dir)
	var ids []string
	for _, e := range ents {
		if x.Exists(e.Name()) {
			ids = append(ids, e.Name())
		} else {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return ids
}

// ValidName reports whether name is a container name podman would accept.
func ValidName(name string) bool {
	if name == "" || !isAlnum(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && !strings.ContainsRune("_.-", rune(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validID: a container id is 64 lower-case hex digits.
func validID(id string) bool { return len(id) == 64 && isHex(id) }

func isHex(s string) bool {
	return s != "" && !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')
	})
}
