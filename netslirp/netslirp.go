// Package netslirp gives a rootless container its network: a user-mode
// TCP/IP stack (embedded in rpod, or pasta or slirp4netns) behind a TAP
// device in the container's network namespace, the container's /etc/hosts,
// /etc/resolv.conf and /etc/hostname, and published ports.
package netslirp

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// Config is a container's network as run and create's flags describe it;
// rpod keeps it with the container and attaches it at every start.
type Config struct {
	// Mode is the --network backend: embedded, pasta, slirp4netns, none,
	// host, container:ID or ns:PATH; "" is the default.
	Mode string `json:"mode,omitempty"`
	// Options are the backend's, as podman's --network NAME:OPT=V,...
	Options map[string]string `json:"options,omitempty"`
	// Args are pasta's own options, as podman's --network pasta:ARG,ARG...
	Args       []string      `json:"args,omitempty"`
	Ports      []PortMapping `json:"ports,omitempty"`
	DNS        []string      `json:"dns,omitempty"`
	DNSSearch  []string      `json:"dnsSearch,omitempty"`
	DNSOptions []string      `json:"dnsOptions,omitempty"`
	AddHosts   []string      `json:"addHosts,omitempty"`
	NoHosts    bool          `json:"noHosts,omitempty"`
}

// PortMapping is one published port (-p); a range is one mapping per port.
type PortMapping struct {
	HostIP        string `json:"hostIp,omitempty"`
	HostPort      uint16 `json:"hostPort"`
	ContainerPort uint16 `json:"containerPort"`
	Protocol      string `json:"protocol"` // tcp or udp
}

// Backends and modes of --network.
const (
	ModeSlirp4netns = "slirp4netns"
	ModePasta       = "pasta"
	ModeEmbedded    = "embedded"
	ModeNone        = "none"
	ModeHost        = "host"
)

// modeHelp lists what --network accepts, for error messages.
const modeHelp = "use slirp4netns, pasta, embedded, none, host, container:NAME or ns:PATH"

// ParseNetwork parses a --network value as podman does: MODE[:OPTIONS].
// "" and private are the default (podman's rootless private is its default
// user-mode stack); Mode is "" then, resolved by the caller with DefaultMode.
func ParseNetwork(v string) (*Config, error) {
	name, opts, hasOpts := strings.Cut(v, ":")
	cfg := &Config{Mode: name}
	switch name {
	case "", "private":
		if hasOpts {
			return nil, fmt.Errorf("invalid --network %q: %s takes no options", v, name)
		}
		cfg.Mode = ""
	case ModeNone, ModeHost:
		if hasOpts {
			return nil, fmt.Errorf("invalid --network %q: %s takes no options", v, name)
		}
	case "container":
		if opts == "" {
			return nil, fmt.Errorf("invalid --network %q: name the container, as container:NAME", v)
		}
		cfg.Mode = v
	case "ns":
		if !strings.HasPrefix(opts, "/") {
			return nil, fmt.Errorf("invalid --network %q: give an absolute path, as ns:/proc/PID/ns/net", v)
		}
		cfg.Mode = v
	case ModePasta:
		if hasOpts {
			for _, a := range strings.Split(opts, ",") {
				if a == "" {
					return nil, fmt.Errorf("invalid --network %q: empty pasta option", v)
				}
				if err := checkPastaArg(a); err != nil {
					return nil, fmt.Errorf("invalid --network %q: %w", v, err)
				}
				cfg.Args = append(cfg.Args, a)
			}
		}
	case ModeSlirp4netns, ModeEmbedded:
		if !hasOpts {
			break
		}
		cfg.Options = map[string]string{}
		for _, kv := range strings.Split(opts, ",") {
			k, val, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("invalid --network %q: option %q is not KEY=VALUE", v, kv)
			}
			if err := checkOption(name, k, val); err != nil {
				return nil, fmt.Errorf("invalid --network %q: %w", v, err)
			}
			cfg.Options[k] = val
		}
	case "bridge", "slirp4netns+bridge":
		return nil, fmt.Errorf("--network %s: rpod runs rootless and has no bridge networks: %s", name, modeHelp)
	default:
		return nil, fmt.Errorf("unknown --network mode %q: %s", name, modeHelp)
	}
	return cfg, nil
}

// checkOption accepts the slirp4netns options podman documents that rpod
// implements; the embedded stack takes allow_host_loopback only.
func checkOption(mode, k, v string) error {
	isBool := func() error {
		if v != "true" && v != "false" {
			return fmt.Errorf("%s must be true or false, not %q", k, v)
		}
		return nil
	}
	if mode == ModeEmbedded {
		if k != "allow_host_loopback" {
			return fmt.Errorf("unknown embedded option %q: embedded takes allow_host_loopback=true|false", k)
		}
		return isBool()
	}
	switch k {
	case "allow_host_loopback", "enable_ipv6":
		return isBool()
	case "mtu":
		n, err := strconv.Atoi(v)
		if err != nil || n < 68 || n > 65521 {
			return fmt.Errorf("mtu must be a number from 68 to 65521, not %q", v)
		}
	case "cidr":
		if _, err := slirpAddrs(v); err != nil {
			return err
		}
	case "outbound_addr", "outbound_addr6":
		if v == "" {
			return fmt.Errorf("%s needs an address or an interface name", k)
		}
	case "port_handler":
		if v != "rootlesskit" {
			return fmt.Errorf("port_handler=%s is not supported by rpod: ports are always forwarded by rpod's own port driver (port_handler=rootlesskit)", v)
		}
	default:
		return fmt.Errorf("unknown slirp4netns option %q: use allow_host_loopback, mtu, cidr, enable_ipv6, outbound_addr, outbound_addr6 or port_handler", k)
	}
	return nil
}

// checkPastaArg refuses the pasta options rpod sets itself.
func checkPastaArg(a string) error {
	name, _, _ := strings.Cut(a, "=")
	switch name {
	case "--netns", "--userns", "--netns-only", "-f", "--foreground", "-P", "--pid", "-h", "--help", "--version":
		return fmt.Errorf("pasta option %s is set by rpod", name)
	}
	return nil
}

// AllowHostLoopback reports whether the container may reach the host's
// loopback through the gateway (allow_host_loopback=true).
func (c *Config) AllowHostLoopback() bool { return c.Options["allow_host_loopback"] == "true" }

// Backend is the mode without its argument: container for container:NAME.
func (c *Config) Backend() string {
	b, _, _ := strings.Cut(c.Mode, ":")
	return b
}

// OwnNetNS reports whether the container gets a network namespace of its
// own, that a stack is attached to.
func (c *Config) OwnNetNS() bool {
	switch c.Backend() {
	case ModeSlirp4netns, ModePasta, ModeEmbedded, ModeNone:
		return true
	}
	return false
}

// NoStack reports whether the container's network needs no stack of rpod's:
// loopback only, or a namespace someone else set up; nothing to publish from.
func (c *Config) NoStack() bool {
	switch c.Backend() {
	case ModeNone, ModeHost, "container", "ns":
		return true
	}
	return false
}

// lookPath is exec.LookPath, a variable for tests.
var lookPath = exec.LookPath

// DefaultMode is the backend a container gets without --network, fixed at
// create so the container keeps it: the embedded stack, which needs no
// helper and measured fastest here (bench/README.md: it attaches in a few
// ms and carries 2.6-2.9x slirp4netns's throughput from the container).
func DefaultMode() string { return ModeEmbedded }

// helperPath finds a helper binary, or says which package to install.
func helperPath(name, pkg string) (string, error) {
	p, err := lookPath(name)
	if err != nil {
		return "", fmt.Errorf("--network %s: %s is not installed: install it (apt install %s) or use --network embedded", name, name, pkg)
	}
	return p, nil
}

// Attach connects the network namespace of process pid to cfg's backend
// and publishes cfg's ports; Close tears both down.
func Attach(cfg *Config, pid int) (io.Closer, error) {
	if cfg.NoStack() {
		return nopCloser{}, nil
	}
	var stack io.Closer
	var err error
	switch cfg.Backend() {
	case ModeSlirp4netns:
		stack, err = attachSlirp4netns(cfg, pid)
	case ModePasta:
		stack, err = attachPasta(cfg, pid)
	case ModeEmbedded:
		stack, err = attachEmbedded(cfg, pid)
	default:
		return nil, fmt.Errorf("unknown network mode %q: recreate the container", cfg.Mode)
	}
	if err != nil {
		return nil, err
	}
	ports, err := publish(cfg, pid)
	if err != nil {
		stack.Close()
		return nil, err
	}
	return closers{ports, stack}, nil
}

// closers closes each in order, and returns the first error.
type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
