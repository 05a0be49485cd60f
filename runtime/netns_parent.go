package runtime

import "path/filepath"

// NetNSOf is the Spec.NetNS that joins the network namespace of c.
func NetNSOf(c *Container) (string, error) {
	dir, err := c.Directory()
	if err != nil {
		return "", err
	}
	return NetNSContainer + c.ID + ":" + dir, nil
}

// EtcDirReachable lets the root of a --userns=nomap container, which owns
// nothing of rpod's, reach the /etc files rpod writes for it in dir.
func EtcDirReachable(dir string, n UserNS) error {
	if n.Mode != UserNSNoMap {
		return nil
	}
	return makeTraversable(filepath.Join(dir, "hostname"), n)
}
