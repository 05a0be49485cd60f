package netslirp

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/rpod/rpod/internal/atomicfile"
)

// Container paths of the files rpod writes for a container's network.
const (
	EtcHostname = "/etc/hostname"
	EtcHosts    = "/etc/hosts"
	EtcResolv   = "/etc/resolv.conf"
)

// EtcFiles are the files the container gets from rpod, bound over the
// image's: no /etc/hosts with --no-hosts, no /etc/resolv.conf with --dns none.
func (c *Config) EtcFiles() []string {
	files := []string{EtcHostname}
	if !c.NoHosts {
		files = append(files, EtcHosts)
	}
	if !c.noResolv() {
		files = append(files, EtcResolv)
	}
	return files
}

func (c *Config) noResolv() bool { return len(c.DNS) == 1 && c.DNS[0] == "none" }

// hostFiles are the host's files the container's are made from; tests
// point them elsewhere.
var (
	hostResolvConf = "/etc/resolv.conf"
	hostHostsFile  = "/etc/hosts"
)

// WriteEtcFiles writes the container's hostname, hosts and resolv.conf
// into dir (its directory in the store), at every start: the addresses
// are those of cfg's backend, name is the container's and hostname its host name.
func WriteEtcFiles(dir string, cfg *Config, name, hostname string) error {
	files := map[string][]byte{"hostname": []byte(hostname + "\n")}
	if !cfg.NoHosts {
		h, err := hostsFile(cfg, name, hostname)
		if err != nil {
			return err
		}
		files["hosts"] = h
	}
	if !cfg.noResolv() {
		files["resolv.conf"] = resolvConf(cfg)
	}
	for base, b := range files {
		// Replaced whole, so that a running container sharing it (its
		// bind holds the old inode) never reads half a file.
		if err := atomicfile.WriteFile(filepath.Join(dir, base), b, 0o644); err != nil {
			return fmt.Errorf("write /etc/%s of the container: %w", base, err)
		}
	}
	return nil
}

// addresses are what the container's files name: its own address (invalid
// when it has none but loopback) and the one that reaches the host.
func addresses(cfg *Config) (self, host netip.Addr) {
	switch cfg.Backend() {
	case ModeSlirp4netns:
		n, err := slirpAddrs(cfg.Options["cidr"])
		if err != nil {
			return
		}
		self = n.Container
		// As podman: the gateway stands for the host only when it reaches
		// the host's loopback; else the host's own address.
		if cfg.AllowHostLoopback() {
			host = n.Gateway
		} else {
			host, _ = hostRouteAddr()
		}
	case ModeEmbedded:
		self = netip.MustParseAddr(EmbeddedContainerIP)
		host = netip.MustParseAddr(EmbeddedHostAddress)
	case ModePasta:
		// pasta copies the host's address: the container cannot reach the
		// host at it, only at the gateway when pasta maps it (--map-gw).
		self, _ = hostRouteAddr()
		if pastaMapsGateway(cfg) {
			host, _ = hostRouteGateway()
		}
	case ModeHost:
		host, _ = hostRouteAddr()
	}
	return
}

// hostsFile is the container's /etc/hosts, as podman writes it: --add-host
// entries first, localhost, the container's address with its host name and
// name, and host.containers.internal.
func hostsFile(cfg *Config, name, hostname string) ([]byte, error) {
	var b bytes.Buffer
	for _, h := range cfg.AddHosts {
		host, ip, err := ParseAddHost(h)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s\t%s\n", ip, host)
	}
	names := hostname
	if name != "" && name != hostname {
		names += " " + name
	}
	self, host := addresses(cfg)
	if cfg.Backend() == ModeHost {
		// The host's own names, as podman keeps them with --network host.
		if base, err := os.ReadFile(hostHostsFile); err == nil {
			b.Write(base)
			if len(base) > 0 && base[len(base)-1] != '\n' {
				b.WriteByte('\n')
			}
		}
	}
	b.WriteString("127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n")
	b.WriteString("::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n")
	if self.IsValid() {
		fmt.Fprintf(&b, "%s\t%s\n", self, names)
	} else if cfg.Backend() != ModeHost {
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", names)
	}
	if host.IsValid() {
		fmt.Fprintf(&b, "%s\thost.containers.internal\n", host)
	}
	return b.Bytes(), nil
}

// ParseAddHost parses --add-host HOST:IP (IPv6 addresses keep their colons;
// podman also takes HOST=IP).
func ParseAddHost(v string) (host, ip string, err error) {
	i := strings.IndexAny(v, ":=")
	if i <= 0 {
		return "", "", fmt.Errorf("invalid --add-host %q: use HOST:IP", v)
	}
	host, ip = v[:i], v[i+1:]
	if ip == "host-gateway" {
		return "", "", fmt.Errorf("invalid --add-host %q: host-gateway is not supported by rpod: use host.containers.internal", v)
	}
	a, err := netip.ParseAddr(strings.Trim(ip, "[]"))
	if err != nil || a.Zone() != "" {
		return "", "", fmt.Errorf("invalid --add-host %q: %q is not an IP address", v, ip)
	}
	if strings.ContainsAny(host, " \t\n#") {
		return "", "", fmt.Errorf("invalid --add-host %q: bad host name", v)
	}
	return host, a.String(), nil
}

// resolvConf is the container's /etc/resolv.conf: --dns or the stack's
// DNS forwarder, else the host's servers the container can reach (not its
// loopback, unless it shares the host's network); the host's search and
// options unless --dns-search and --dns-option say otherwise.
func resolvConf(cfg *Config) []byte {
	servers, search, options := readResolv(hostResolvConf)
	switch {
	case len(cfg.DNS) > 0:
		servers = cfg.DNS
	case cfg.Backend() == ModeSlirp4netns:
		if n, err := slirpAddrs(cfg.Options["cidr"]); err == nil {
			servers = []string{n.DNS.String()}
		}
	case cfg.Backend() == ModeEmbedded:
		servers = []string{EmbeddedDNS}
	case cfg.Backend() == ModeHost:
	default:
		var reachable []string
		for _, s := range servers {
			if a, err := netip.ParseAddr(s); err == nil && !a.IsLoopback() {
				reachable = append(reachable, s)
			}
		}
		servers = reachable
		if len(servers) == 0 && cfg.Backend() == ModePasta {
			// podman's fallback when the host only has a local resolver.
			servers = []string{"8.8.8.8", "8.8.4.4"}
		}
	}
	if len(cfg.DNSSearch) > 0 {
		search = cfg.DNSSearch
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	if len(cfg.DNSOptions) > 0 {
		options = cfg.DNSOptions
	}
	var b bytes.Buffer
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return b.Bytes()
}

// readResolv reads the nameservers, search domains and options of a
// resolv.conf; a missing file has none.
func readResolv(path string) (servers, search, options []string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 || strings.HasPrefix(fs[0], "#") || strings.HasPrefix(fs[0], ";") {
			continue
		}
		switch fs[0] {
		case "nameserver":
			servers = append(servers, fs[1])
		case "search", "domain":
			search = fs[1:]
		case "options":
			options = append(options, fs[1:]...)
		}
	}
	return
}
