package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// clientAddrs is an address of a host interface other than lo, not
// link-local, of each family the host has one of; skips when it has none.
func clientAddrs(t *testing.T) []netip.Addr {
	t.Helper()
	var v4, v6 netip.Addr
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 || ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			switch ip := p.Addr(); {
			case ip.IsLinkLocalUnicast() || ip.IsLoopback():
			case ip.Is6() && !v6.IsValid():
				v6 = ip
			case !ip.Is6() && !v4.IsValid():
				v4 = ip
			}
		}
	}
	var out []netip.Addr
	for _, ip := range []netip.Addr{v4, v6} {
		if ip.IsValid() {
			out = append(out, ip)
		}
	}
	if len(out) == 0 {
		t.Skip("the host has no address but loopback")
	}
	return out
}

// peerCGI serves, on port 8080 inside the container, /cgi-bin/peer: the
// client's address as busybox httpd gives it to a CGI script.
var peerCGI = []string{"sh", "-c", `mkdir -p /www/cgi-bin && printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho "$REMOTE_ADDR"\n' > /www/cgi-bin/peer && chmod 755 /www/cgi-bin/peer && exec httpd -f -p 8080 -h /www`}

// peerFrom GETs /cgi-bin/peer of the host port, connecting from src.
func peerFrom(src netip.Addr, port int) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: src.AsSlice()}}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
	resp, err := c.Get(fmt.Sprintf("http://%s/cgi-bin/peer", netip.AddrPortFrom(src, uint16(port))))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, b)
	}
	return strings.TrimSpace(string(b)), err
}

// sameAddr compares what the container saw with src: busybox httpd writes
// [::ffff:a.b.c.d], the same as a.b.c.d.
func sameAddr(seen string, src netip.Addr) bool {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(seen, "["), "]"))
	return err == nil && a.Unmap() == src.Unmap()
}

// A container behind -p sees a client's own address, on every installed
// backend, and a client on loopback as 127.0.0.1.
func TestPublishKeepsSourceTCP(t *testing.T) {
	clients := clientAddrs(t)
	hostPort := hostServer(t, "outbound")
	url := fmt.Sprintf("http://$(%s):%d/", lookup("host.containers.internal"), hostPort)
	for _, nb := range netBackends {
		t.Run(nb.name, func(t *testing.T) {
			nb.skipUnlessInstalled(t)
			port := freePort(t)
			name := "pubsrc-" + nb.name
			ok(t, baseEnv, append([]string{"run", "-d", "--name", name, "--network", nb.loopback, "-p", fmt.Sprintf("%d:8080", port), "busybox"}, peerCGI...)...)
			defer run(baseEnv, nil, "rm", "-f", "-t", "0", name)
			lo := netip.MustParseAddr("127.0.0.1")
			var seen string
			var err error
			waitUntil(t, "the CGI script through -p from 127.0.0.1", func() bool {
				seen, err = peerFrom(lo, port)
				return err == nil
			})
			if !sameAddr(seen, lo) {
				t.Errorf("a client on 127.0.0.1 was seen as %q", seen)
			}
			for _, src := range clients {
				if seen, err = peerFrom(src, port); err != nil {
					t.Errorf("GET from %s: %v", src, err)
				} else if !sameAddr(seen, src) {
					t.Errorf("a client on %s was seen as %q", src, seen)
				}
			}
			// The routing that brings replies back leaves the container's
			// own connections out alone.
			if out := ok(t, baseEnv, "exec", name, "sh", "-c", "timeout 10 wget -q -O - "+url); out != "outbound" {
				t.Errorf("wget from the container to the host after forwarding: %q", out)
			}
		})
	}
}

// udpPeerEcho builds a static UDP server for the container that answers
// each datagram with the sender's address (busybox's nc has no UDP), or
// skips.
func udpPeerEcho(t *testing.T) string {
	t.Helper()
	return buildStatic(t, "udppeer", `package main

import ("net"; "os")

func main() {
	pc, err := net.ListenPacket("udp", ":"+os.Args[1])
	if err != nil { panic(err) }
	buf := make([]byte, 65535)
	for {
		_, from, err := pc.ReadFrom(buf)
		if err != nil { panic(err) }
		pc.WriteTo([]byte(from.(*net.UDPAddr).AddrPort().String()), from)
	}
}
`)
}

// udpPeer sends a datagram to the host port from src (a new socket, so a
// new flow) and returns the address the container answered it saw, and
// the client's own.
func udpPeer(src netip.Addr, port int) (seen, local netip.AddrPort, err error) {
	c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)),
		net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, uint16(port))))
	if err != nil {
		return seen, local, err
	}
	defer c.Close()
	local = c.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 1500)
	for range 5 {
		c.Write([]byte("who"))
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		if err != nil {
			continue
		}
		seen, err = netip.ParseAddrPort(string(buf[:n]))
		return netip.AddrPortFrom(seen.Addr().Unmap(), seen.Port()), local, err
	}
	return seen, local, fmt.Errorf("no answer from the UDP server through -p")
}

// The same for UDP: each flow from a client's address and port reaches
// the container from that address and port.
func TestPublishKeepsSourceUDP(t *testing.T) {
	clients := clientAddrs(t)
	bin := udpPeerEcho(t)
	for _, nb := range netBackends {
		t.Run(nb.name, func(t *testing.T) {
			nb.skipUnlessInstalled(t)
			port := freeUDPPort(t)
			name := "pubsrc-udp-" + nb.name
			ok(t, baseEnv, "run", "-d", "--name", name, "--network", nb.name, "-v", bin+":/udppeer:ro",
				"-p", fmt.Sprintf("%d:5353/udp", port), "busybox", "/udppeer", "5353")
			defer run(baseEnv, nil, "rm", "-f", "-t", "0", name)
			// Up once a loopback client is answered: flows made before the
			// server listened are not the ones tested.
			lo := netip.MustParseAddr("127.0.0.1")
			var seen, local netip.AddrPort
			var err error
			waitUntil(t, "a UDP answer through -p from 127.0.0.1", func() bool {
				seen, local, err = udpPeer(lo, port)
				return err == nil
			})
			if seen.Addr() != lo {
				t.Errorf("a client on 127.0.0.1 was seen as %s", seen)
			}
			for _, src := range clients {
				if seen, local, err = udpPeer(src, port); err != nil {
					t.Errorf("UDP from %s: %v", src, err)
				} else if seen != local {
					t.Errorf("a client on %s was seen as %s", local, seen)
				}
			}
		})
	}
}
