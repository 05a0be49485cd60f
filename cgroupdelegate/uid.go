package cgroupdelegate

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HostUID is the uid that the caller's uid stands for outside every user
// namespace it is in: rpod runs as uid 0 inside its own user namespace,
// but the session bus, user@UID.service and D-Bus authentication all want
// the real one.
func HostUID() int {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return os.Getuid()
	}
	uid, err := mapUID(string(b), os.Getuid())
	if err != nil {
		return os.Getuid()
	}
	return uid
}

// mapUID translates uid inside a user namespace to the parent's uid
// through the text of /proc/PID/uid_map ("inside outside count" lines).
func mapUID(uidMap string, uid int) (int, error) {
	for _, line := range strings.Split(uidMap, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return -1, fmt.Errorf("uid_map: malformed line %q", line)
		}
		var v [3]uint64
		for i := range f {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return -1, fmt.Errorf("uid_map: malformed line %q", line)
			}
			v[i] = n
		}
		in, out, count := v[0], v[1], v[2]
		if u := uint64(uid); u >= in && u-in < count {
			return int(out + (u - in)), nil
		}
	}
	return -1, fmt.Errorf("uid_map: uid %d is not mapped", uid)
}
