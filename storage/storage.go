// Package storage opens rpod's containers/storage store: where it lives,
// which driver it uses (probed once and kept), and container rootfs mounts.
package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/homedir"
	"go.podman.io/storage/types"

	"github.com/rpod/rpod/internal/atomicfile"
)

// Options says where the store lives and which driver it uses.
type Options struct {
	GraphRoot     string
	RunRoot       string
	Driver        string
	DriverOptions []string
	// ConfigFile is the storage.conf that set these options, if any.
	ConfigFile string
}

// userStorageConf is the storage.conf a user writes to configure the store:
// when one exists rpod follows it entirely, as podman would.
func userStorageConf() string {
	if v := os.Getenv("CONTAINERS_STORAGE_CONF"); v != "" {
		return v
	}
	cfg, err := homedir.GetConfigHome()
	if err != nil {
		return ""
	}
	p := filepath.Join(cfg, "containers", "storage.conf")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// DefaultOptions returns the store location: a store of rpod's own under
// $XDG_DATA_HOME/rpod/storage (see DESIGN.md: sharing podman's store waits for
// a test that proves it safe), unless the user's storage.conf says otherwise.
// runtimeDir is rpod's runtime directory from userns.RuntimeDir.
func DefaultOptions(runtimeDir string) (Options, error) {
	if conf := userStorageConf(); conf != "" {
		so, err := types.LoadStoreOptions(types.LoadOptions{})
		if err != nil {
			return Options{}, fmt.Errorf("read %s: %w", conf, err)
		}
		return Options{GraphRoot: so.GraphRoot, RunRoot: so.RunRoot, Driver: so.GraphDriverName, DriverOptions: so.GraphDriverOptions, ConfigFile: conf}, nil
	}
	data, err := homedir.GetDataHome()
	if err != nil {
		return Options{}, fmt.Errorf("find data directory: %w", err)
	}
	o := Options{
		GraphRoot: filepath.Join(data, "rpod", "storage"),
		RunRoot:   filepath.Join(runtimeDir, "storage"),
		Driver:    os.Getenv("STORAGE_DRIVER"),
	}
	if v, ok := os.LookupEnv("STORAGE_OPTS"); ok && v != "" {
		o.DriverOptions = strings.Split(v, ",")
	}
	return o, nil
}

// driverRecord is the probe's result, kept in the graphroot so that every
// later rpod opens the store the same way.
type driverRecord struct {
	Driver  string   `json:"driver"`
	Options []string `json:"options,omitempty"`
}

func recordPath(graphRoot string) string { return filepath.Join(graphRoot, "rpod-driver.json") }

// Open opens the store, probing native overlay, then fuse-overlayfs, then vfs
// the first time, and using the recorded choice after that.
func Open(o Options) (cstorage.Store, error) {
	// A directory rpod cannot create is not a driver problem: say so before probing.
	for _, d := range []string{o.GraphRoot, o.RunRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create store directory: %w: choose another with --root/--runroot or storage.conf", err)
		}
	}
	extra := driverOptions()
	if o.Driver != "" {
		return get(o, o.Driver, append(o.DriverOptions, extra(o.Driver)...))
	}
	if b, err := os.ReadFile(recordPath(o.GraphRoot)); err == nil {
		var rec driverRecord
		if err := json.Unmarshal(b, &rec); err == nil && rec.Driver != "" {
			return get(o, rec.Driver, append(append(o.DriverOptions, rec.Options...), extra(rec.Driver)...))
		}
	}
	var errs []error
	for _, c := range candidates(o.DriverOptions) {
		s, err := get(o, c.Driver, append(append(o.DriverOptions, c.Options...), extra(c.Driver)...))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", describe(c), err))
			continue
		}
		b, _ := json.Marshal(c)
		atomicfile.WriteFile(recordPath(o.GraphRoot), b, 0o600)
		return s, nil
	}
	err := fmt.Errorf("no storage driver works here: %w", errors.Join(errs...))
	if fs, ferr := FSType(o.GraphRoot); ferr == nil {
		err = explainOpenFailure(o.GraphRoot, fs, err)
	}
	return nil, err
}

func describe(c driverRecord) string {
	for _, o := range c.Options {
		if strings.HasSuffix(o, "mount_program="+fuseOverlayfs()) {
			return "overlay (fuse-overlayfs)"
		}
	}
	return c.Driver
}

func fuseOverlayfs() string {
	p, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		return ""
	}
	return p
}

func candidates(userOpts []string) []driverRecord {
	for _, o := range userOpts {
		if strings.Contains(o, "mount_program=") {
			return []driverRecord{{Driver: "overlay"}}
		}
	}
	c := []driverRecord{{Driver: "overlay"}}
	if p := fuseOverlayfs(); p != "" {
		c = append(c, driverRecord{Driver: "overlay", Options: []string{"overlay.mount_program=" + p}})
	}
	return append(c, driverRecord{Driver: "vfs"})
}

// driverOptions are the options rpod adds for driver. overlay.skip_mount_home:
// rpod's mount namespace, made in its own user namespace, receives the
// host's mounts as slaves and propagates none back, so the driver's home
// needs no private bind mount of its own, which would outlive each command
// in that namespace. ignore_chown_errors lets a store work in a namespace
// with one ID: image files owned by other IDs cannot be chowned there, as
// with podman.
func driverOptions() func(driver string) []string {
	singleID := false
	if b, err := os.ReadFile("/proc/self/uid_map"); err == nil && len(strings.Split(strings.TrimSpace(string(b)), "\n")) == 1 {
		f := strings.Fields(string(b))
		singleID = len(f) == 3 && f[2] == "1"
	}
	return func(driver string) []string {
		var opts []string
		if driver == "overlay" {
			opts = append(opts, "overlay.skip_mount_home=true")
		}
		if singleID {
			opts = append(opts, driver+".ignore_chown_errors=true")
		}
		return opts
	}
}

func get(o Options, driver string, opts []string) (cstorage.Store, error) {
	s, err := cstorage.GetStore(types.StoreOptions{
		GraphRoot:          o.GraphRoot,
		RunRoot:            o.RunRoot,
		GraphDriverName:    driver,
		GraphDriverOptions: opts,
	})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", o.GraphRoot, err)
	}
	return s, nil
}

// MountProgram returns the mount program the store's driver uses, if any.
func MountProgram(s cstorage.Store) string {
	for _, o := range s.GraphOptions() {
		if i := strings.Index(o, "mount_program="); i >= 0 {
			return o[i+len("mount_program="):]
		}
	}
	return ""
}

// Close ends a command's use of the store. containers/storage's Shutdown
// is only needed to remove the staging directories an interrupted partial
// pull left (and it takes no action while any layer is mounted); it
// also records a write on the driver's lock, which makes the next rpod
// set the driver up afresh, some 10 ms of every command. So it runs only
// when there are staging directories.
func Close(s cstorage.Store) {
	ents, err := os.ReadDir(filepath.Join(s.GraphRoot(), s.GraphDriverName(), "staging"))
	if err == nil && len(ents) > 0 {
		s.Shutdown(false)
	}
}
