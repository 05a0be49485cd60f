package netslirp

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A published port keeps the client's source address: the forwarder's
// socket inside the container's netns is bound to the client's address
// and port with IP_TRANSPARENT (rpod's user namespace owns the netns, so
// rpod has CAP_NET_ADMIN there), and connects to the container's port on
// loopback, as before. The container's replies come back to that socket
// through the policy routing of ports_rules.go. Loopback clients keep the
// plain path: their address is already loopback. Whatever fails (no
// routing, a bind conflict, an IPv6 client of an IPv4-only server) falls
// back to the plain path, where the container sees 127.0.0.1.

// sourceProbeTimeout bounds the one check, per address family, that the
// routing brings replies back.
const sourceProbeTimeout = 2 * time.Second

// sourceRoutes sets up the routing of one family the first time a client
// from an address other than loopback comes, and remembers whether it
// works.
type sourceRoutes struct {
	ns       *nsSockets
	pid      int
	udpPorts []uint16

	mu    sync.Mutex
	tried [2]bool
	tcpOK [2]bool
	udpOK [2]bool
}

// clientSource is the address to bind for client: ok false for a client
// that goes the plain way (loopback, link-local, or the family's routing
// unavailable).
func (f *portForwarder) clientSource(client netip.AddrPort, network string) (netip.AddrPort, bool) {
	a := client.Addr().Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsMulticast() {
		return netip.AddrPort{}, false
	}
	if !f.src.ready(a.Is6(), network) {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.WithZone(""), client.Port()), true
}

// ready sets the family's routing up once, and reports whether network
// ("tcp" or "udp") may use it.
func (r *sourceRoutes) ready(v6 bool, network string) bool {
	i := 0
	if v6 {
		i = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.tried[i] {
		r.tried[i] = true
		ports := r.udpPorts
		if !kernelHasPortRules() {
			ports = nil
		}
		if err := r.ns.addSourceRouting(v6, ports); err == nil {
			r.tcpOK[i] = r.probe(v6) == nil
			r.udpOK[i] = r.tcpOK[i] && len(ports) > 0
		}
	}
	if network == "udp" {
		return r.udpOK[i]
	}
	return r.tcpOK[i]
}

// probeSource is a documentation address (RFC 5737, RFC 3849) no netns
// has: a transparent connection from it works only through the routing.
func probeSource(v6 bool) netip.AddrPort {
	if v6 {
		return netip.MustParseAddrPort("[2001:db8::7270]:0")
	}
	return netip.MustParseAddrPort("198.51.100.114:0")
}

// probe connects from probeSource to a listener on loopback inside the
// netns: a kernel or netns where replies do not come back fails here
// once, not at each client's connection.
func (r *sourceRoutes) probe(v6 bool) error {
	lo := loopbackAddr(v6)
	domain, sa := sockaddrOf(netip.AddrPortFrom(lo, 0))
	fd, err := r.ns.socket(domain, unix.SOCK_STREAM)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, sa); err != nil {
		return err
	}
	if err := unix.Listen(fd, 1); err != nil {
		return err
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	var port int
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		port = a.Port
	case *unix.SockaddrInet6:
		port = a.Port
	}
	c, err := r.ns.dialFrom("tcp", probeSource(v6), netip.AddrPortFrom(lo, uint16(port)), sourceProbeTimeout)
	if err != nil {
		return fmt.Errorf("probe the routing of client addresses: %w", err)
	}
	c.Close()
	return nil
}

// bindTransparent binds the socket fd to an address the netns may not
// have. SO_REUSEADDR lets the client's address and port be bound again
// while an earlier connection from them is in TIME_WAIT.
func bindTransparent(fd, domain int, from netip.AddrPort) error {
	level, opt := unix.SOL_IP, unix.IP_TRANSPARENT
	if domain == unix.AF_INET6 {
		level, opt = unix.SOL_IPV6, unix.IPV6_TRANSPARENT
	}
	if err := unix.SetsockoptInt(fd, level, opt, 1); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	_, sa := sockaddrOf(from)
	return unix.Bind(fd, sa)
}

// targetFrom is where a connection from src goes: the container port on
// the loopback address of src's family.
func targetFrom(src netip.AddrPort, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(loopbackAddr(src.Addr().Is6()), port)
}

// dialKeepingSource connects into the container for client, from client's
// address when it can, else as the plain path does.
func (f *portForwarder) dialKeepingSource(network string, client, target netip.AddrPort) (net.Conn, error) {
	if src, ok := f.clientSource(client, network); ok {
		to := targetFrom(src, target.Port())
		if network == "tcp" || !src.Addr().Is6() || f.src.listensUDP6(target.Port()) {
			c, err := f.ns.dialFrom(network, src, to, portDialTimeout)
			if err == nil || !plainRetry(err, src) {
				return c, err
			}
		}
	}
	return f.ns.dial(network, target, portDialTimeout)
}

// plainRetry reports whether a failed transparent connection goes again
// the plain way: not when nothing listens (the client sees that) nor after
// the whole timeout, but when the server listens on IPv4 only and the
// client is IPv6, or the bind or route failed.
func plainRetry(err error, src netip.AddrPort) bool {
	switch {
	case errors.Is(err, unix.ETIMEDOUT), errors.Is(err, errForwarderClosed):
		return false
	case errors.Is(err, unix.ECONNREFUSED):
		return src.Addr().Is6()
	}
	return true
}

// listensUDP6 reports whether a socket in the container's netns is bound
// to UDP port on :: or ::1, and so would get an IPv6 client's datagrams:
// unlike a TCP connect, a datagram to a port nobody has tells nothing.
func (r *sourceRoutes) listensUDP6(port uint16) bool {
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/udp6", r.pid))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if udp6Listens(sc.Text(), port) {
			return true
		}
	}
	return false
}

// udp6Listens parses one line of /proc/net/udp6: a socket bound to port on
// :: or ::1 and not connected.
func udp6Listens(line string, port uint16) bool {
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return false
	}
	local, lport, ok := strings.Cut(fields[1], ":")
	if !ok || lport != fmt.Sprintf("%04X", port) {
		return false
	}
	if strings.Trim(fields[2], "0:") != "" {
		return false // connected to a peer
	}
	// ::1 is printed as four 32-bit words in the kernel's byte order.
	switch local {
	case "00000000000000000000000000000000", "00000000000000000000000001000000", "00000000000000000000000000000001":
		return true
	}
	return false
}

// udpTo is an unconnected UDP socket whose writes go to one address. A
// transparent flow is not connected: the container answers from the
// address its routing picks, not always the one written to (the client's
// own when the netns has that address too, as pasta's copies the host's).
type udpTo struct {
	*net.UDPConn
	to netip.AddrPort
}

func (u udpTo) Write(b []byte) (int, error) { return u.WriteToUDPAddrPort(b, u.to) }

func unconnectedUDP(f *os.File, to netip.AddrPort) (net.Conn, error) {
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	return udpTo{c.(*net.UDPConn), to}, nil
}
