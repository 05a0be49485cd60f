package netslirp

import "io"

// attachEmbedded runs rpod's own user-mode stack for the netns of pid.
func attachEmbedded(cfg *Config, pid int) (io.Closer, error) { return nopCloser{}, nil }
