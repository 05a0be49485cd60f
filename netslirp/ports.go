package netslirp

import "io"

// ParsePublish parses one -p value: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], with ranges.
func ParsePublish(spec string) ([]PortMapping, error) { return nil, nil }

// publish forwards cfg's published ports from the host into the netns of pid.
func publish(cfg *Config, pid int) (io.Closer, error) { return nopCloser{}, nil }
