package quadlet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// UserDirs are where a user's Quadlet files are looked for, first one
// winning for a file name, as podman's quadlet -user:
// $XDG_CONFIG_HOME/containers/systemd (~/.config/...),
// /etc/containers/systemd/users/$UID and /etc/containers/systemd/users.
func UserDirs(uid int) []string {
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cfg = filepath.Join(home, ".config")
		}
	}
	var dirs []string
	if cfg != "" {
		dirs = append(dirs, filepath.Join(cfg, "containers", "systemd"))
	}
	return append(dirs, filepath.Join("/etc/containers/systemd/users", strconv.Itoa(uid)), "/etc/containers/systemd/users")
}

// Load reads every Quadlet file in dirs and their subdirectories. A name
// found in an earlier directory hides the same name in later ones; a
// missing directory is skipped. Files that do not parse are reported.
func Load(dirs []string) ([]*UnitFile, []error) {
	var files []*UnitFile
	var errs []error
	seen := map[string]bool{}
	for _, dir := range dirs {
		var paths []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == dir && errors.Is(err, fs.ErrNotExist) {
					return fs.SkipDir
				}
				errs = append(errs, err)
				return nil
			}
			// The per-uid directories under users/ belong to other users.
			if d.IsDir() && p != dir && filepath.Base(dir) == "users" && filepath.Dir(p) == dir && isNumber(d.Name()) {
				return fs.SkipDir
			}
			if !d.IsDir() && isQuadlet(p) {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			base := filepath.Base(p)
			if seen[base] {
				continue
			}
			seen[base] = true
			data, err := os.ReadFile(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p, err))
				continue
			}
			u, err := Parse(p, data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			files = append(files, u)
		}
	}
	return files, errs
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// isQuadlet is true for the Quadlet types podman has; rpod reports the
// ones it cannot do rather than skip them.
func isQuadlet(p string) bool {
	switch filepath.Ext(p) {
	case ".container", ".volume", ".network", ".image", ".kube", ".pod", ".build":
		return true
	}
	return false
}

// Write puts the units and their [Install] symlinks into dir, a systemd
// generator's output directory.
func Write(dir string, units []Unit) error {
	for _, u := range units {
		if err := os.WriteFile(filepath.Join(dir, u.Name), []byte(u.Content), 0o644); err != nil {
			return err
		}
		for _, l := range u.Links {
			p := filepath.Join(dir, l.Path)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			os.Remove(p)
			if err := os.Symlink(l.Target, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Dryrun is what `rpod systemd dryrun` prints: each unit under a
// ---NAME--- line, its symlinks as comments.
func Dryrun(units []Unit) string {
	var b strings.Builder
	for _, u := range units {
		fmt.Fprintf(&b, "---%s---\n%s", u.Name, u.Content)
		for _, l := range u.Links {
			fmt.Fprintf(&b, "# symlink %s -> %s\n", l.Path, l.Target)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
