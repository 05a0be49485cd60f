package netslirp

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostAddr is an address of a host interface other than loopback, of the
// family asked for, or skips.
func hostAddr(t *testing.T, v6 bool) netip.Addr {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr()
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.Is6() != v6 {
			continue
		}
		return ip
	}
	t.Skipf("the host has no address of IPv6=%v but loopback", v6)
	return netip.Addr{}
}

// peerServer listens inside the namespace on the wildcard address of
// domain, port 0, and answers each TCP connection or UDP datagram with the
// peer's address as it sees it.
func peerServer(t *testing.T, ns *nsSockets, domain int, network string) uint16 {
	t.Helper()
	typ := unix.SOCK_STREAM
	if network == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := ns.socket(domain, typ)
	if err != nil {
		t.Fatal(err)
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{}
	if domain == unix.AF_INET6 {
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		sa = &unix.SockaddrInet6{}
	}
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "peer-server")
	defer f.Close()
	if network == "udp" {
		pc, err := net.FilePacketConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		go func() {
			buf := make([]byte, 1500)
			for {
				_, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				pc.WriteTo([]byte(from.String()), from)
			}
		}()
		return uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	}
	if err := unix.Listen(fd, 16); err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(c.RemoteAddr().String()))
			c.Close()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// peerSeen connects to the host port from the address from (port 0: any)
// and returns what the container saw.
func peerSeen(t *testing.T, network string, from netip.Addr, hostPort uint16) (seen, local string) {
	t.Helper()
	to := netip.AddrPortFrom(from, hostPort)
	d := net.Dialer{Timeout: 10 * time.Second}
	if network == "udp" {
		d.LocalAddr = net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0))
	} else {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0))
	}
	c, err := d.Dial(network, to.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var b []byte
	if network == "udp" {
		c.Write([]byte("who"))
		buf := make([]byte, 1500)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("UDP from %s: %v", from, err)
		}
		b = buf[:n]
	} else if b, err = io.ReadAll(c); err != nil {
		t.Fatalf("TCP from %s: %v", from, err)
	}
	return string(b), c.LocalAddr().String()
}

func TestForwardKeepsSource(t *testing.T) {
	for _, tc := range []struct {
		network string
		v6      bool
	}{{"tcp", false}, {"udp", false}, {"tcp", true}, {"udp", true}} {
		t.Run(fmt.Sprintf("%s v6=%v", tc.network, tc.v6), func(t *testing.T) {
			client := hostAddr(t, tc.v6)
			pid, ns := testNetns(t)
			port := peerServer(t, ns, unix.AF_INET6, tc.network)
			ports := []PortMapping{{ContainerPort: port, Protocol: tc.network}}
			forward(t, ports, pid)
			for range 2 {
				seen, local := peerSeen(t, tc.network, client, ports[0].HostPort)
				if unmapped(t, seen) != unmapped(t, local) {
					t.Errorf("the container saw %s, the client is %s", seen, local)
				}
			}
			// Loopback clients still come from loopback.
			lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
			if seen, _ := peerSeen(t, tc.network, lo, ports[0].HostPort); unmapped(t, seen).Addr() != lo {
				t.Errorf("a loopback client was seen as %s", seen)
			}
		})
	}
}

// A server listening on IPv4 only gets IPv6 clients the plain way.
func TestForwardSourceFallback(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		t.Run(network, func(t *testing.T) {
			client := hostAddr(t, true)
			pid, ns := testNetns(t)
			port := peerServer(t, ns, unix.AF_INET, network)
			ports := []PortMapping{{ContainerPort: port, Protocol: network}}
			forward(t, ports, pid)
			seen, _ := peerSeen(t, network, client, ports[0].HostPort)
			if a := unmapped(t, seen).Addr(); a != netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
				t.Errorf("an IPv6 client of an IPv4 server was seen as %s, want 127.0.0.1", seen)
			}
		})
	}
}

// The routing is set up again in the same netns (a restart): no error.
func TestSourceRoutingTwice(t *testing.T) {
	_, ns := testNetns(t)
	for range 2 {
		for _, v6 := range []bool{false, true} {
			if err := ns.addSourceRouting(v6, []uint16{53, 5353}); err != nil {
				t.Fatalf("v6=%v: %v", v6, err)
			}
		}
	}
	r := &sourceRoutes{ns: ns}
	for _, v6 := range []bool{false, true} {
		if err := r.probe(v6); err != nil {
			t.Errorf("v6=%v: %v", v6, err)
		}
	}
}

// unmapped parses an address and port, ::ffff:a.b.c.d as a.b.c.d.
func unmapped(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatalf("the container answered %q", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// The cost of keeping the source per connection: dial, accept, close,
// from loopback and from a transparent address (root only, as testNetns).
func BenchmarkDialSource(b *testing.B) {
	for _, transparent := range []bool{false, true} {
		b.Run(fmt.Sprintf("transparent=%v", transparent), func(b *testing.B) {
			_, ns := testNetns(b)
			lnAny, port := listenIn(b, ns, "tcp")
			ln := lnAny.(net.Listener)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
			to := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
			if transparent {
				if err := ns.addSourceRouting(false, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				var from netip.AddrPort
				if transparent {
					from = netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 200)}), uint16(20000+i%40000))
				}
				c, err := ns.dialFrom("tcp", from, to, portDialTimeout)
				if err != nil {
					b.Fatal(err)
				}
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}
		})
	}
}
