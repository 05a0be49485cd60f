package testworld

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rpod/rpod/internal/fixture"
)

// builders are the fixture images a suite can serve, by name.
var builders = map[string]func(string) error{
	"busybox":    fixture.BuildBusybox,
	"multilayer": fixture.BuildMultilayer,
}

// The hostile images of the escape tests (evil-*).
func init() {
	for name, build := range fixture.MaliciousImages {
		builders[name] = build
	}
}

// Serve starts a local registry holding the named fixture images (each as
// NAME:latest) and writes the registries.conf every world uses, which makes
// it the one search registry.
func (s *Suite) Serve(images ...string) (*fixture.Registry, error) {
	reg, err := fixture.StartRegistry(filepath.Join(s.Dir, "registry"))
	if err != nil {
		return nil, err
	}
	for _, name := range images {
		build, ok := builders[name]
		if !ok {
			return reg, fmt.Errorf("no fixture image %q", name)
		}
		dir := filepath.Join(s.Dir, "images", name)
		if err := build(dir); err != nil {
			return reg, fmt.Errorf("build %s: %w", name, err)
		}
		if err := fixture.Push(context.Background(), dir, reg.Addr+"/"+name+":latest"); err != nil {
			return reg, fmt.Errorf("push %s: %w", name, err)
		}
	}
	conf := fmt.Sprintf("unqualified-search-registries = [%q]\n\n[[registry]]\nlocation = %q\ninsecure = true\n", reg.Addr, reg.Addr)
	if err := os.WriteFile(filepath.Join(s.Dir, "registries.conf"), []byte(conf), 0o644); err != nil {
		return reg, err
	}
	return reg, nil
}
