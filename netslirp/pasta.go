package netslirp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// pastaArgs are the arguments rpod gives pasta, as podman does: the
// container's own options, and no port forwarding of pasta's own (rpod's
// port driver publishes -p) or gateway mapping unless asked for.
func pastaArgs(cfg *Config) []string {
	args := []string{"--config-net", "--foreground", "--quiet"}
	var tcp, udp, tcpNS, udpNS, mapGW bool
	for _, a := range cfg.Args {
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "-t", "--tcp-ports":
			tcp = true
		case "-u", "--udp-ports":
			udp = true
		case "-T", "--tcp-ns":
			tcpNS = true
		case "-U", "--udp-ns":
			udpNS = true
		case "--map-gw":
			// Not pasta's: podman's way to ask for the gateway mapped to the host.
			mapGW = true
			continue
		}
		args = append(args, a)
	}
	for _, o := range []struct {
		set  bool
		flag string
	}{{tcp, "-t"}, {udp, "-u"}, {tcpNS, "-T"}, {udpNS, "-U"}} {
		if !o.set {
			args = append(args, o.flag, "none")
		}
	}
	if !mapGW {
		args = append(args, "--no-map-gw")
	}
	return args
}

// pastaMapsGateway reports whether the container reaches the host's
// loopback through pasta's gateway address (--map-gw).
func pastaMapsGateway(cfg *Config) bool {
	for _, a := range cfg.Args {
		if a == "--map-gw" {
			return true
		}
	}
	return false
}

// attachPasta starts pasta for the netns of pid and returns once it has
// configured the interface: it writes its pid file then.
func attachPasta(cfg *Config, pid int) (io.Closer, error) {
	path, err := helperPath(ModePasta, "passt")
	if err != nil {
		return nil, err
	}
	// pasta cannot open /proc/PID/ns/net itself (it drops what ptrace
	// access needs first): hand it the namespace open, as fd 3.
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, fmt.Errorf("pasta: open the container's network namespace: %w", err)
	}
	defer ns.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pasta: %w", err)
	}
	defer readyR.Close()
	// The pid file is a pipe: pasta writes it once the namespace is set up.
	args := append(pastaArgs(cfg), "--pid", "/proc/self/fd/4", "--netns", "/proc/self/fd/3")
	h, err := startHelper(ModePasta, path, args, ns, readyW)
	readyW.Close()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 32)
	if _, err := h.readReady(readyR, buf); err != nil {
		h.Close()
		return nil, helperTunError(ModePasta, err)
	}
	return h, nil
}

// hostRouteAddr is the host's IPv4 address on the interface of its default
// route: pasta gives the container the same one.
func hostRouteAddr() (netip.Addr, bool) {
	ifname := hostRouteInterface()
	if ifname == "" {
		return netip.Addr{}, false
	}
	ifc, err := net.InterfaceByName(ifname)
	if err != nil {
		return netip.Addr{}, false
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				return ip.Unmap(), true
			}
		}
	}
	return netip.Addr{}, false
}

// hostRouteGateway is the host's IPv4 default gateway: pasta's gateway
// in the container too.
func hostRouteGateway() (netip.Addr, bool) {
	_, gw := hostRoute()
	return gw, gw.IsValid()
}

func hostRouteInterface() string {
	ifname, _ := hostRoute()
	return ifname
}

// hostRoute reads the host's IPv4 default route from /proc/net/route.
func hostRoute() (string, netip.Addr) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return "", netip.Addr{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 8 || fs[1] != "00000000" || fs[7] != "00000000" {
			continue
		}
		v, err := strconv.ParseUint(fs[2], 16, 32)
		if err != nil {
			continue
		}
		// /proc/net/route is in the host's byte order.
		var b [4]byte
		binary.NativeEndian.PutUint32(b[:], uint32(v))
		return fs[0], netip.AddrFrom4(b)
	}
	return "", netip.Addr{}
}
