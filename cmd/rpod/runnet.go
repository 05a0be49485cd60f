package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/internal/atomicfile"
	"github.com/rpod/rpod/netslirp"
	"github.com/rpod/rpod/runtime"
)

// netFlags are run and create's network flags.
type netFlags struct {
	network    string
	dns        []string
	dnsSearch  []string
	dnsOptions []string
	addHosts   []string
	noHosts    bool
}

func (f *netFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.network, "network", "", "network mode: slirp4netns[:OPTIONS], pasta[:OPTIONS], embedded[:allow_host_loopback=true], none, host, container:NAME or ns:PATH (default: embedded, rpod's own user-mode stack)")
	fl.StringVar(&f.network, "net", "", "alias of --network")
	stringSliceVar(fl, &f.dns, "dns", "", "DNS server of the container's /etc/resolv.conf (none: no resolv.conf)")
	stringSliceVar(fl, &f.dnsSearch, "dns-search", "", "DNS search domain of the container (.: none)")
	stringSliceVar(fl, &f.dnsOptions, "dns-option", "", "DNS option of the container's /etc/resolv.conf")
	stringArrayVar(fl, &f.addHosts, "add-host", "", "add HOST:IP to the container's /etc/hosts")
	fl.BoolVar(&f.noHosts, "no-hosts", false, "leave the image's /etc/hosts alone")
}

// parseNetwork is --network with the default resolved: a container keeps
// the backend it was created with.
func (f *netFlags) parseNetwork() (*netslirp.Config, error) {
	cfg, err := netslirp.ParseNetwork(f.network)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == "" {
		cfg.Mode = netslirp.DefaultMode()
	}
	shared := !cfg.OwnNetNS()
	if shared && cfg.Backend() != netslirp.ModeHost && (len(f.dns) > 0 || len(f.dnsSearch) > 0 || len(f.dnsOptions) > 0 || len(f.addHosts) > 0) {
		// As podman: the network's files are the other container's concern.
		return nil, fmt.Errorf("conflicting options: --dns, --dns-search, --dns-option and --add-host cannot be used with --network %s", cfg.Backend())
	}
	return cfg, nil
}

// applyNet applies --network to the spec: what the init step must know.
func (f *runFlags) applyNet(spec *runtime.Spec) error {
	cfg, err := f.networkConfig(image.Config{})
	if err != nil {
		return err
	}
	switch backend, arg, _ := strings.Cut(cfg.Mode, ":"); backend {
	case netslirp.ModeHost:
		spec.HostNet = true
		if spec.Hostname == "" {
			spec.Hostname, _ = os.Hostname() // podman's default with the host's network
		}
	case "ns":
		spec.NetNS = arg
	case "container":
		store, err := openStore()
		if err != nil {
			return err
		}
		other, err := runtime.Load(store, arg)
		if err != nil {
			return fmt.Errorf("--network container:%s: %w", arg, err)
		}
		if spec.NetNS, err = runtime.NetNSOf(other); err != nil {
			return err
		}
	}
	spec.EtcFiles = cfg.EtcFiles()
	if cfg.OwnNetNS() {
		// podman's default_sysctls: ping without CAP_NET_RAW, through ICMP
		// datagram sockets, in a namespace of the container's own.
		const ping = "net.ipv4.ping_group_range"
		if _, set := spec.Sysctls[ping]; !set {
			if spec.Sysctls == nil {
				spec.Sysctls = map[string]string{}
			}
			spec.Sysctls[ping] = "0 0"
		}
	}
	return nil
}

// networkConfig is the container's network as the flags and image describe it.
func (f *runFlags) networkConfig(ic image.Config) (*netslirp.Config, error) {
	cfg, err := f.parseNetwork()
	if err != nil {
		return nil, err
	}
	for _, d := range f.dns {
		if d == "none" && len(f.dns) == 1 {
			break
		}
		if _, err := netip.ParseAddr(d); err != nil {
			return nil, fmt.Errorf("invalid --dns %q: give an IP address, or none for no /etc/resolv.conf", d)
		}
	}
	for _, h := range f.addHosts {
		if _, _, err := netslirp.ParseAddHost(h); err != nil {
			return nil, err
		}
	}
	for _, d := range f.dnsSearch {
		if d == "" || strings.ContainsAny(d, " \t\n") {
			return nil, fmt.Errorf("invalid --dns-search %q", d)
		}
	}
	cfg.DNS, cfg.DNSSearch, cfg.DNSOptions = f.dns, f.dnsSearch, f.dnsOptions
	cfg.AddHosts, cfg.NoHosts = f.addHosts, f.noHosts
	return cfg, nil
}

// networkFile holds a container's netslirp.Config in its directory.
const networkFile = "network.json"

// storeNetwork records the container's network config with it, at create.
func storeNetwork(c *runtime.Container, cfg *netslirp.Config) error {
	dir, err := c.Directory()
	if err != nil {
		return err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	// Whole or not at all: a kill midway must not leave half a file.
	if err := atomicfile.WriteFile(filepath.Join(dir, networkFile), b, 0o600); err != nil {
		return fmt.Errorf("record network: %w", err)
	}
	return nil
}

// loadNetwork reads what storeNetwork recorded; a container created before
// rpod had networking has none (loopback only).
func loadNetwork(c *runtime.Container) (*netslirp.Config, error) {
	dir, err := c.Directory()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, networkFile))
	if errors.Is(err, os.ErrNotExist) {
		return &netslirp.Config{Mode: "none"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read network of %s: %w", c.Name, err)
	}
	var cfg netslirp.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("read network of %s: %w", c.Name, err)
	}
	return &cfg, nil
}

// networkHooks are the start hooks that attach c's recorded network: used
// by the foreground run and the monitor at every start.
func networkHooks(c *runtime.Container) (runtime.Hooks, error) {
	// Before the file: a create killed while writing it may have left none.
	if err := c.CheckCreated(); err != nil {
		return runtime.Hooks{}, err
	}
	cfg, err := loadNetwork(c)
	if err != nil {
		return runtime.Hooks{}, err
	}
	return networkHooksFor(c, cfg)
}

// networkHooksFor are the start hooks that attach cfg, c's network, for a
// caller that has it already. The container's /etc files are written
// first, with the addresses of its backend.
func networkHooksFor(c *runtime.Container, cfg *netslirp.Config) (runtime.Hooks, error) {
	if len(c.Spec.EtcFiles) > 0 {
		dir, err := c.EtcDirectory()
		if err != nil {
			return runtime.Hooks{}, err
		}
		if err := netslirp.WriteEtcFiles(dir, cfg, c.Name, c.Spec.Hostname); err != nil {
			return runtime.Hooks{}, err
		}
		if err := runtime.EtcDirReachable(dir, c.Spec.UserNS); err != nil {
			return runtime.Hooks{}, err
		}
	}
	if cfg.NoStack() {
		return runtime.Hooks{}, nil
	}
	return runtime.Hooks{Network: func(pid int) (io.Closer, error) {
		random := hasRandomPort(cfg)
		cl, err := netslirp.Attach(cfg, pid)
		if err == nil && random {
			// publish chose the random host ports: rpod port shows them, and
			// the container keeps them when it starts again.
			err = storeNetwork(c, cfg)
			if err != nil {
				cl.Close()
			}
		}
		return cl, err
	}}, nil
}

func hasRandomPort(cfg *netslirp.Config) bool {
	for _, p := range cfg.Ports {
		if p.HostPort == 0 {
			return true
		}
	}
	return false
}
