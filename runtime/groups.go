package runtime

import (
	"fmt"
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
