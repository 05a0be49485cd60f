package runtime

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// KeepGroups is podman's --group-add value that keeps the user's host groups.
const KeepGroups = "keep-groups"

// CheckGroupAdd validates a --group-add value before the container exists:
// a numeric gid or a group name (looked up in the image when it starts).
func CheckGroupAdd(g string) error {
	switch {
	case g == KeepGroups:
		return fmt.Errorf("--group-add %s is not supported by rpod: the host's supplementary groups are not mapped into its user namespace; add the groups the container needs by name or gid", KeepGroups)
	case g == "":
		return fmt.Errorf("invalid --group-add \"\": give a group name or a numeric gid")
	case strings.ContainsAny(g, ":\n\x00") || strings.TrimSpace(g) != g:
		return fmt.Errorf("invalid --group-add %q: give a group name or a numeric gid", g)
	}
	if _, err := strconv.ParseUint(g, 10, 32); err != nil && strings.Trim(g, "0123456789") == "" {
		return fmt.Errorf("invalid --group-add %q: the gid is out of range", g)
	}
	return nil
}

// resolveGroups turns --group-add values into gids, names through the
// container's group database.
func resolveGroups(add []string, group io.Reader) ([]uint32, error) {
	var groups []groupEntry
	if group != nil {
		groups = parseGroup(group)
	}
	var out []uint32
	for _, g := range add {
		if err := CheckGroupAdd(g); err != nil {
			return nil, err
		}
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			out = append(out, uint32(n))
			continue
		}
		found := false
		for _, e := range groups {
			if e.name == g {
				out, found = append(out, e.gid), true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("unable to find group %s: no matching entries in group file of the container (--group-add)", g)
		}
	}
	return out, nil
}

// addGroups adds the --group-add groups to the user's supplementary groups.
// It runs after pivot_root (or inside the container, for exec), so the
// names are the image's. Being the one step between resolving the user and
// using its home, it also gives keep-id's user its passwd entry.
func addGroups(s *Spec, u *ExecUser) error {
	if err := keepIDPasswd(s, u); err != nil {
		return err
	}
	if len(s.GroupAdd) == 0 {
		return nil
	}
	var group io.Reader
	if b, err := readSmall("/etc/group"); err == nil {
		group = strings.NewReader(string(b))
	}
	gids, err := resolveGroups(s.GroupAdd, group)
	if err != nil {
		return fail(ExitRpodError, "%v", err)
	}
	for _, g := range gids {
		if !containsGID(u.Groups, g) {
			u.Groups = append(u.Groups, g)
		}
	}
	return nil
}

func containsGID(gs []uint32, g uint32) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// readSmall reads a file of the image, bounded: the image may hold anything.
func readSmall(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 16<<20))
}
