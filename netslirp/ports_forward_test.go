package netslirp

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testNetns starts a process in a new network namespace with loopback up,
// and returns its pid and a socket maker inside it. Root only: the
// forwarder's own code paths are the same rootless, in the user namespace.
func testNetns(t testing.TB) (int, *nsSockets) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Skipf("new netns: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ns, err := newNSSockets(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.close)
	// An ioctl on a socket acts on the socket's namespace.
	fd, err := ns.socket(unix.AF_INET, unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifr, _ := unix.NewIfreq("lo")
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		t.Fatal(err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, ns
}

// forward starts a forwarder for ports into the netns of pid, closed
// when the test ends.
func forward(t *testing.T, ports []PortMapping, pid int) *portForwarder {
	t.Helper()
	f, err := startForwarder(ports, pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// listenIn binds 127.0.0.1:0 inside the namespace: "tcp" or "udp".
func listenIn(t testing.TB, ns *nsSockets, network string) (any, uint16) {
	t.Helper()
	typ := unix.SOCK_STREAM
	if network == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := ns.socket(unix.AF_INET, typ)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "in-netns")
	defer f.Close()
	if typ == unix.SOCK_DGRAM {
		pc, err := net.FilePacketConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		return pc, uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	}
	if err := unix.Listen(fd, 128); err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, uint16(ln.Addr().(*net.TCPAddr).Port)
}

// reverseServer answers each connection with what it read, reversed, once
// the client has half-closed.
func reverseServer(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			b, _ := io.ReadAll(c)
			c.Write(reverse(b))
		}()
	}
}

func TestForwardTCP(t *testing.T) {
	pid, ns := testNetns(t)
	ln, port := listenIn(t, ns, "tcp")
	go reverseServer(ln.(net.Listener))

	ports := []PortMapping{{HostIP: "127.0.0.1", ContainerPort: port, Protocol: "tcp"}}
	f := forward(t, ports, pid)
	if ports[0].HostPort == 0 {
		t.Fatal("random host port not written back")
	}
	addr := ports[0].HostAddr()

	big := make([]byte, 8<<20)
	rand.Read(big)
	for _, payload := range [][]byte{[]byte("hello"), big} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c.Write(payload)
			c.(*net.TCPConn).CloseWrite() // the half-close reaches the server
		}()
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, reverse(payload)) {
			t.Fatalf("%d bytes: got %d bytes back, not the reversed payload", len(payload), len(got))
		}
	}

	// Many at once.
	errs := make(chan error, 50)
	for i := range 50 {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			msg := fmt.Sprintf("ab%d", i)
			c.Write([]byte(msg))
			c.(*net.TCPConn).CloseWrite()
			got, _ := io.ReadAll(c)
			if string(got) != string(reverse([]byte(msg))) {
				errs <- fmt.Errorf("got %q for %q", got, msg)
				return
			}
			errs <- nil
		}()
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	// Close frees the host port and ends live connections.
	live, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	f.Close()
	live.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := live.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after Close")
	}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("host port not free after Close: %v", err)
	}
	l2.Close()
}

func reverse(b []byte) []byte {
	out := bytes.Clone(b)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func TestForwardTCPNoListener(t *testing.T) {
	pid, _ := testNetns(t)
	ports := []PortMapping{{HostIP: "127.0.0.1", ContainerPort: 9, Protocol: "tcp"}}
	forward(t, ports, pid)
	c, err := net.Dial("tcp", ports[0].HostAddr())
	if err != nil {
		return // the reset came before the handshake was seen complete
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("read from a port nothing listens on: %v, want a reset or EOF", err)
	}
}

func TestForwardUDP(t *testing.T) {
	pid, ns := testNetns(t)
	pcAny, port := listenIn(t, ns, "udp")
	pc := pcAny.(net.PacketConn)
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(reverse(buf[:n]), from)
		}
	}()
	ports := []PortMapping{
		{HostIP: "127.0.0.1", ContainerPort: port, Protocol: "tcp"},
		{HostIP: "127.0.0.1", ContainerPort: port, Protocol: "udp"},
	}
	forward(t, ports, pid)
	if ports[1].HostPort == 0 {
		t.Fatal("random host port not written back")
	}
	// Two clients, each gets its own replies.
	for i := range 2 {
		c, err := net.Dial("udp", ports[1].HostAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for j := range 3 {
			msg := fmt.Sprintf("client %d datagram %d", i, j)
			c.Write([]byte(msg))
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 1024)
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			if string(buf[:n]) != string(reverse([]byte(msg))) {
				t.Fatalf("got %q for %q", buf[:n], msg)
			}
		}
	}
}

func TestForwardErrors(t *testing.T) {
	pid, _ := testNetns(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	p := uint16(busy.Addr().(*net.TCPAddr).Port)
	ports := []PortMapping{
		{HostIP: "127.0.0.1", ContainerPort: 81, Protocol: "tcp"}, // random: must be undone
		{HostIP: "127.0.0.1", HostPort: p, ContainerPort: 80, Protocol: "tcp"},
	}
	_, err = startForwarder(ports, pid)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("host port %d is already in use on 127.0.0.1:%d", p, p)) {
		t.Fatalf("port in use: %v", err)
	}
	if ports[0].HostPort != 0 {
		t.Fatal("a failed start left a random port in the config")
	}

	start := unprivilegedPortStart()
	if start > 0 {
		err = listenError(PortMapping{HostPort: uint16(start - 1), ContainerPort: 80, Protocol: "tcp"}, syscall.EACCES)
		want := fmt.Sprintf("sysctl net.ipv4.ip_unprivileged_port_start=%d", start-1)
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("low port: %v, want one line with %q", err, want)
		}
	}
	if _, err := newNSSockets(1 << 30); err == nil {
		t.Fatal("no error for a pid that does not exist")
	}
}

// A host address of IPv6 is listened on as such; the container side is
// still reached on its IPv4 loopback.
func TestForwardIPv6Host(t *testing.T) {
	if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	pid, ns := testNetns(t)
	ln, port := listenIn(t, ns, "tcp")
	go reverseServer(ln.(net.Listener))
	ports := []PortMapping{{HostIP: "::1", ContainerPort: port, Protocol: "tcp"}}
	forward(t, ports, pid)
	c, err := net.Dial("tcp", ports[0].HostAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("v6"))
	c.(*net.TCPConn).CloseWrite()
	if got, _ := io.ReadAll(c); string(got) != "6v" {
		t.Fatalf("got %q through [::1]", got)
	}
}
