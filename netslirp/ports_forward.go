package netslirp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The port forwarder is rootlesskit's builtin port driver without its child
// process: listeners on the host in rpod's own process (the monitor, or the
// foreground rpod), and for each connection a socket made in the
// container's netns and connected to 127.0.0.1:CONTAINERPORT, as
// rootlesskit's child does. Nothing outlives rpod's process: a crashed
// monitor takes its listeners with it.
//
// The container sees the client's address (ports_source.go: a transparent
// socket and policy routing inside the netns), or 127.0.0.1 as with
// rootlesskit and podman's rootlessport for a loopback client and wherever
// that cannot be done.

// portDialTimeout bounds a connect inside the container (a full accept queue).
const portDialTimeout = 10 * time.Second

type portForwarder struct {
	ns      *nsSockets
	src     *sourceRoutes // set up at the first client not on loopback
	closers []io.Closer   // the host listeners
	serve   []func()

	mu     sync.Mutex
	conns  map[io.Closer]struct{} // live connections and UDP flows
	closed bool
	wg     sync.WaitGroup
}

// startForwarder binds every host port, then starts forwarding. A port
// with no host port gets a free one, written back into ports; on failure
// ports is left as it was.
func startForwarder(ports []PortMapping, pid int) (_ *portForwarder, err error) {
	ns, err := newNSSockets(pid)
	if err != nil {
		return nil, err
	}
	f := &portForwarder{
		ns:    ns,
		src:   &sourceRoutes{ns: ns, pid: pid, udpPorts: udpContainerPorts(ports)},
		conns: map[io.Closer]struct{}{},
	}
	saved := append([]PortMapping(nil), ports...)
	defer func() {
		if err != nil {
			f.Close()
			copy(ports, saved)
		}
	}()
	for i := range ports {
		if err := f.listen(&ports[i], ports[:i]); err != nil {
			return nil, err
		}
	}
	for _, s := range f.serve {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			s()
		}()
	}
	return f, nil
}

// listen binds p's host address; a random port is chosen by the kernel,
// the same one as the other protocol's of the same container port when
// that one is free, as podman prints "80/tcp -> :P" and "80/udp -> :P".
func (f *portForwarder) listen(p *PortMapping, earlier []PortMapping) error {
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	if p.HostPort == 0 {
		for _, q := range earlier {
			if q.ContainerPort == p.ContainerPort && q.HostIP == p.HostIP && q.Protocol != p.Protocol {
				try := *p
				try.HostPort = q.HostPort
				if f.bind(&try) == nil {
					*p = try
					return nil
				}
			}
		}
	}
	if err := f.bind(p); err != nil {
		return listenError(*p, err)
	}
	return nil
}

func (f *portForwarder) bind(p *PortMapping) error {
	network := p.Protocol
	if p.HostIP != "" {
		ip, err := netip.ParseAddr(p.HostIP)
		if err != nil {
			return fmt.Errorf("invalid host IP %q", p.HostIP)
		}
		if ip.Is4() {
			network += "4"
		} else {
			network += "6"
		}
	}
	addr := net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
	target := netip.AddrPortFrom(loopbackAddr(false), p.ContainerPort)
	switch p.Protocol {
	case "tcp":
		ln, err := net.Listen(network, addr)
		if err != nil {
			return err
		}
		p.HostPort = uint16(ln.Addr().(*net.TCPAddr).Port)
		f.closers = append(f.closers, ln)
		f.serve = append(f.serve, func() { f.serveTCP(ln.(*net.TCPListener), target) })
	case "udp":
		pc, err := net.ListenPacket(network, addr)
		if err != nil {
			return err
		}
		p.HostPort = uint16(pc.LocalAddr().(*net.UDPAddr).Port)
		f.closers = append(f.closers, pc)
		f.serve = append(f.serve, func() { f.serveUDP(pc.(*net.UDPConn), target) })
	default:
		return fmt.Errorf("unknown protocol %q", p.Protocol)
	}
	return nil
}

// listenError says why a host port cannot be had, and the fix.
func listenError(p PortMapping, err error) error {
	what := fmt.Sprintf("publish %d/%s", p.ContainerPort, p.Protocol)
	switch {
	case errors.Is(err, syscall.EACCES):
		if start := unprivilegedPortStart(); int(p.HostPort) < start {
			return fmt.Errorf("%s: host port %d is below net.ipv4.ip_unprivileged_port_start (%d): allow it with `sysctl net.ipv4.ip_unprivileged_port_start=%d` (as root), or publish a port from %d up",
				what, p.HostPort, start, p.HostPort, start)
		}
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s: host port %d is already in use on %s: stop what listens there, or publish another host port",
			what, p.HostPort, p.HostAddr())
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s: %s is not an address of this host", what, p.HostIP)
	}
	return fmt.Errorf("%s on %s: %w", what, p.HostAddr(), err)
}

// unprivilegedPortStart is the lowest port an unprivileged user may bind.
func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return n
}

// track registers a connection or flow to be closed with the forwarder;
// false when the forwarder is already closed (c is closed then).
func (f *portForwarder) track(c io.Closer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *portForwarder) untrack(c io.Closer) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

func (f *portForwarder) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// Close stops the listeners and every forwarded connection, and waits.
func (f *portForwarder) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for _, c := range f.closers {
		c.Close()
	}
	for c := range conns {
		c.Close()
	}
	f.ns.close()
	f.wg.Wait()
	return nil
}

// udpContainerPorts is each published UDP container port once.
func udpContainerPorts(ports []PortMapping) []uint16 {
	var out []uint16
	seen := map[uint16]bool{}
	for _, p := range ports {
		if p.Protocol == "udp" && !seen[p.ContainerPort] {
			seen[p.ContainerPort] = true
			out = append(out, p.ContainerPort)
		}
	}
	return out
}
