package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/rpod/rpod/runtime"
)

// checkCIDFile refuses a --cidfile that exists, as podman does: another
// container may be using it.
func checkCIDFile(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("container id file exists. Ensure another container is not using it or delete %s", path)
	}
	return nil
}

// writeCIDFile writes c's id to path (--cidfile); it is removed with the container.
func writeCIDFile(path string, c *runtime.Container) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return checkCIDFile(path)
		}
		return fmt.Errorf("opening CIDFile: %w", err)
	}
	_, err = f.WriteString(c.ID)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write CIDFile: %w", err)
	}
	return nil
}

// readCIDFiles gives the ids in --cidfile files; with ignore a missing
// file is skipped, as podman's rm and stop --ignore.
func readCIDFiles(paths []string, ignore bool) ([]string, error) {
	var ids []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			if ignore && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("reading CIDFile: %w", err)
		}
		id, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		if id == "" {
			if ignore {
				continue
			}
			return nil, fmt.Errorf("reading CIDFile %s: it is empty", p)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// cidfileArgs adds the ids in cidfiles to args; with ignore it drops the
// missing files and the containers that do not exist. No container left
// is an error only when none was named.
func cidfileArgs(args *[]string, cidfiles []string, ignore bool) error {
	ids, err := readCIDFiles(cidfiles, ignore)
	if err != nil {
		return err
	}
	named := len(*args) > 0 || len(cidfiles) > 0
	*args = append(*args, ids...)
	if !named {
		return fmt.Errorf("name at least one container, or use --all or --cidfile")
	}
	if !ignore || len(*args) == 0 {
		return nil
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	var kept []string
	for _, a := range *args {
		if runtime.Exists(store, a) {
			kept = append(kept, a)
		}
	}
	*args = kept
	return nil
}

// allArgs replaces args with the ids of every container filters select
// (--all); without --all, filters are refused and a container must be named.
func allArgs(args *[]string, all bool, filters []string) error {
	if !all {
		if len(filters) > 0 {
			return fmt.Errorf("--filter needs --all")
		}
		if len(*args) == 0 {
			return fmt.Errorf("name at least one container, or --all")
		}
		return nil
	}
	if len(*args) > 0 {
		return fmt.Errorf("--all and container names cannot be used together")
	}
	f, err := runtime.ParseFilter(filters)
	if err != nil {
		return err
	}
	ids, err := containerIDs(func(c *runtime.Container) bool { return f.Match(c, c.State()) })
	*args = ids
	return err
}

// containerIDs are the IDs of the store's containers that keep accepts.
func containerIDs(keep func(*runtime.Container) bool) ([]string, error) {
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	cs, err := runtime.List(store)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range cs {
		if keep(c) {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}
