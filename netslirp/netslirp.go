// Package netslirp gives a rootless container its network: a user-mode
// TCP/IP stack (embedded in rpod, or pasta or slirp4netns) behind a TAP
// device in the container's network namespace, the container's /etc/hosts,
// /etc/resolv.conf and /etc/hostname, and published ports.
package netslirp

import "io"

// Config is a container's network as run and create's flags describe it;
// rpod keeps it with the container and attaches it at every start.
type Config struct {
	// Mode is the --network backend: embedded, pasta, slirp4netns, none,
	// host, container:ID or ns:PATH; "" is the default.
	Mode string `json:"mode,omitempty"`
	// Options are the backend's, as podman's --network NAME:OPT=V,...
	Options    map[string]string `json:"options,omitempty"`
	Ports      []PortMapping     `json:"ports,omitempty"`
	DNS        []string          `json:"dns,omitempty"`
	DNSSearch  []string          `json:"dnsSearch,omitempty"`
	DNSOptions []string          `json:"dnsOptions,omitempty"`
	AddHosts   []string          `json:"addHosts,omitempty"`
	NoHosts    bool              `json:"noHosts,omitempty"`
}

// PortMapping is one published port (-p); a range is one mapping per port.
type PortMapping struct {
	HostIP        string `json:"hostIp,omitempty"`
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Protocol      string `json:"protocol"` // tcp or udp
}

// Attach connects the network namespace of process pid to cfg's backend
// and publishes cfg's ports; Close tears both down.
func Attach(cfg *Config, pid int) (io.Closer, error) { return nopCloser{}, nil }

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
