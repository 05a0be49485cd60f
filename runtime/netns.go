package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rpod/rpod/internal/proc"
)

// NetNSContainer prefixes Spec.NetNS for --network container:NAME:
// "container:ID:DIR", DIR being that container's directory, whose state
// tells its process at each start.
const NetNSContainer = "container:"

// netNSPath resolves spec.NetNS to the namespace file to join.
func netNSPath(netns string) (string, error) {
	rest, ok := strings.CutPrefix(netns, NetNSContainer)
	if !ok {
		return netns, nil
	}
	id, dir, _ := strings.Cut(rest, ":")
	short := id
	if len(short) > 12 {
		short = short[:12]
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", fail(ExitRpodError, "--network container:%s: the container is not running (or was removed): start it first", short)
	}
	if err != nil {
		return "", fmt.Errorf("--network container:%s: %w", short, err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return "", fmt.Errorf("--network container:%s: %w", short, err)
	}
	if st.Status != "running" || st.Pid <= 0 || !proc.Alive(st.Pid, st.PidStart) {
		return "", fail(ExitRpodError, "--network container:%s: the container is not running: start it first", short)
	}
	return fmt.Sprintf("/proc/%d/ns/net", st.Pid), nil
}
