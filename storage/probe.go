package storage

import (
	"encoding/json"
	"os"
)

// ProbeOverlay opens a throwaway store with native overlay at graphRoot and
// runRoot, the same test mount Open's probe makes, and returns why it fails.
// The caller must be root in a user namespace (see package hostcheck).
func ProbeOverlay(graphRoot, runRoot string) error {
	s, err := get(Options{GraphRoot: graphRoot, RunRoot: runRoot}, "overlay", driverOptions()("overlay"))
	if err != nil {
		return err
	}
	s.Shutdown(true)
	return nil
}

// Recorded returns the driver and options the probe chose for the store at
// graphRoot; ok is false when the store has not been opened yet.
func Recorded(graphRoot string) (driver string, options []string, ok bool) {
	b, err := os.ReadFile(recordPath(graphRoot))
	if err != nil {
		return "", nil, false
	}
	var rec driverRecord
	if json.Unmarshal(b, &rec) != nil || rec.Driver == "" {
		return "", nil, false
	}
	return rec.Driver, rec.Options, true
}
