package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/netslirp"
	"github.com/rpod/rpod/runtime"
)

// netFlags are run and create's network flags.
type netFlags struct{}

func (f *netFlags) add(fl *pflag.FlagSet) {}

// applyNet applies --network to the spec: what the init step must know.
func (f *runFlags) applyNet(spec *runtime.Spec) error { return nil }

// networkConfig is the container's network as the flags and image describe it.
func (f *runFlags) networkConfig(ic image.Config) (*netslirp.Config, error) {
	return &netslirp.Config{}, nil
}

// networkFile holds a container's netslirp.Config in its directory.
const networkFile = "network.json"

// storeNetwork records the container's network config with it, at create.
func storeNetwork(c *runtime.Container, cfg *netslirp.Config) error {
	dir, err := c.Directory()
	if err != nil {
		return err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, networkFile), b, 0o600); err != nil {
		return fmt.Errorf("record network: %w", err)
	}
	return nil
}

// loadNetwork reads what saveNetwork recorded; a container created before
// rpod had networking has none (loopback only).
func loadNetwork(c *runtime.Container) (*netslirp.Config, error) {
	dir, err := c.Directory()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, networkFile))
	if errors.Is(err, os.ErrNotExist) {
		return &netslirp.Config{Mode: "none"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read network of %s: %w", c.Name, err)
	}
	var cfg netslirp.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("read network of %s: %w", c.Name, err)
	}
	return &cfg, nil
}

// networkHooks are the start hooks that attach c's network: used by the
// foreground run and the monitor at every start.
func networkHooks(c *runtime.Container) (runtime.Hooks, error) { return runtime.Hooks{}, nil }
