package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/types"
)

// OpenOwn opens a container's own store at graphRoot and runRoot: a store
// of one container whose image layers are main's, seen as an additional
// image store. containers/storage reads every container and layer of a
// store each time a process opens it; a container in a store of its own
// costs the same whether the main store's user has ten containers or a
// thousand.
func OpenOwn(main cstorage.Store, graphRoot, runRoot string) (cstorage.Store, error) {
	driver := main.GraphDriverName()
	seedFeatureChecks(filepath.Join(main.RunRoot(), driver), filepath.Join(runRoot, driver))
	images, err := imagesLink(main.GraphRoot())
	if err != nil {
		return nil, fmt.Errorf("open the container's store: %w", err)
	}
	opts := append([]string{driver + ".imagestore=" + images}, main.GraphOptions()...)
	s, err := cstorage.GetStore(types.StoreOptions{
		GraphRoot:          graphRoot,
		RunRoot:            runRoot,
		GraphDriverName:    driver,
		GraphDriverOptions: opts,
	})
	if err != nil {
		return nil, fmt.Errorf("open the container's store: %w", err)
	}
	return s, nil
}

// imagesLink is another path to the main store at graphRoot, for the
// container stores that see it as an image store. containers/storage
// keeps one lock object per lock file path in a process, read-write for
// the main store, and refuses to open the same path read-only for an
// image store in a process that has the main store open, as rpod run does.
func imagesLink(graphRoot string) (string, error) {
	p := filepath.Join(graphRoot, "rpod", "images")
	if _, err := os.Lstat(p); err == nil {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	// Relative: the store may be moved.
	if err := os.Symlink("..", p); err != nil && !os.IsExist(err) {
		return "", err
	}
	return p, nil
}

// seedFeatureChecks copies the driver's cached answers about the kernel
// (may overlay mount here, with which options) from the main store's run
// root into a new one: each is a file whose name is the answer, and
// finding them spares a new store its probe mounts, some 10 ms.
func seedFeatureChecks(from, to string) {
	if _, err := os.Stat(to); err == nil {
		return
	}
	if os.MkdirAll(to, 0o700) != nil {
		return
	}
	copyFeatureChecks(from, to)
}

// ShareFeatureChecks copies into the main store's run root the driver's
// answers that a container's own store found and main lacks. Some
// questions only a container's store asks (may overlay use an idmapped
// lower layer, a volatile upper one), and the run root is a tmpfs that a
// reboot empties: without this, every container's store would probe them
// again with test mounts, some 10 ms of each run.
func ShareFeatureChecks(main, own cstorage.Store) {
	driver := main.GraphDriverName()
	copyFeatureChecks(filepath.Join(own.RunRoot(), driver), filepath.Join(main.RunRoot(), driver))
}

// copyFeatureChecks copies each answer in from that to has not answered
// either way, with its text (a refusal's reason).
func copyFeatureChecks(from, to string) {
	ents, err := os.ReadDir(from)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || featureAnswered(to, name) {
			continue
		}
		if text, err := os.ReadFile(filepath.Join(from, name)); err == nil {
			os.WriteFile(filepath.Join(to, name), text, 0o644)
		}
	}
}

// featureAnswered reports whether dir holds an answer, yes or no, to the
// question answer answers: containers/storage names them FEATURE-true and
// FEATURE-false, and reads true first.
func featureAnswered(dir, answer string) bool {
	feature, ok := strings.CutSuffix(answer, "-true")
	if !ok {
		if feature, ok = strings.CutSuffix(answer, "-false"); !ok {
			return true // not an answer: not ours to copy
		}
	}
	for _, a := range []string{feature + "-true", feature + "-false"} {
		if _, err := os.Lstat(filepath.Join(dir, a)); err == nil {
			return true
		}
	}
	return false
}
