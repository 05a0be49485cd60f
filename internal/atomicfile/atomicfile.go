// Package atomicfile replaces small files whole.
package atomicfile

import "os"

// WriteFile writes b to path through a temporary file renamed over it:
// a reader, or a kill midway, sees the old file or the new one, never
// half. It does not sync: rpod's records are rewritten at the next change
// and containers/storage's own records carry the crash safety.
func WriteFile(path string, b []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
