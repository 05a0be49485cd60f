package userns

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rpod/rpod/idmap"
)

// RuntimeDirPath is the directory RuntimeDir would use, found without
// creating anything or warning, for diagnostics.
func RuntimeDirPath() string {
	if dir, ok := xdgRuntimeDir(); ok {
		return dir
	}
	return filepath.Join(fallbackRuntimeBase(), "rpod")
}

// PauseState is what the pause pid file says and what runs.
type PauseState struct {
	PidFile string
	PID     int    // from the pid file, 0 when there is none
	Live    bool   // the process runs, started when recorded, and is ours
	UIDMap  string // its uid_map as "0:1000:1,1:100000:65536", when live
	GIDMap  string
}

// InspectPause reports on the pause process without starting, joining or stopping one.
func InspectPause() PauseState {
	dir := RuntimeDirPath()
	ps := PauseState{PidFile: pidFile(dir)}
	b, err := os.ReadFile(ps.PidFile)
	if err != nil {
		return ps
	}
	fmt.Sscanf(string(b), "%d", &ps.PID)
	p, ok := livePause(dir)
	if !ok {
		return ps
	}
	ps.Live = true
	ps.UIDMap = readMapFile(fmt.Sprintf("/proc/%d/uid_map", p.pid))
	ps.GIDMap = readMapFile(fmt.Sprintf("/proc/%d/gid_map", p.pid))
	return ps
}

// WantedMaps are the maps a new pause process would get now, without warnings.
func WantedMaps() (uidMaps, gidMaps string, err error) {
	u, g, err := maps(func(string, ...any) {})
	if err != nil {
		return "", "", err
	}
	return idmap.Format(u), idmap.Format(g), nil
}

// readMapFile renders /proc/PID/uid_map in idmap.Format's shape.
func readMapFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return FormatProcMap(string(b))
}

// FormatProcMap turns uid_map text ("  0  1000  1\n...") into "0:1000:1,...".
func FormatProcMap(s string) string {
	var parts []string
	for l := range strings.Lines(s) {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		var ns [3]uint64
		var err error
		for i := range f {
			if ns[i], err = strconv.ParseUint(f[i], 10, 32); err != nil {
				break
			}
		}
		if err == nil {
			parts = append(parts, fmt.Sprintf("%d:%d:%d", ns[0], ns[1], ns[2]))
		}
	}
	return strings.Join(parts, ",")
}
