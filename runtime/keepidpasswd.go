package runtime

// keepIDUID is the container uid that is the user, from the recorded map:
// inside the container /proc/self/uid_map no longer says.
func (n UserNS) keepIDUID() (uint32, bool) {
	for _, m := range n.UIDMap {
		if m.HostID == 0 && m.Size > 0 {
			return uint32(m.ContainerID), true
		}
	}
	return 0, false
}
