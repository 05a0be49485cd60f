package netslirp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// nsSockets makes sockets inside a container's network namespace. A socket
// keeps the namespace it was created in, so only socket(2) runs on the one
// thread that entered it; connect and the copies run on any goroutine, in
// rpod's own namespace, with no helper process.
type nsSockets struct {
	reqs chan sockReq
	done chan struct{}
}

type sockReq struct {
	domain, typ int
	reply       chan sockRes
}

type sockRes struct {
	fd  int
	err error
}

var errForwarderClosed = errors.New("port forwarder closed")

// newNSSockets starts the thread that makes sockets in the netns of pid.
func newNSSockets(pid int) (*nsSockets, error) {
	nsfd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("publish ports: open the container's network namespace: %w", err)
	}
	s := &nsSockets{reqs: make(chan sockReq), done: make(chan struct{})}
	ready := make(chan error, 1)
	go s.serve(nsfd, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return s, nil
}

func (s *nsSockets) serve(nsfd int, ready chan<- error) {
	runtime.LockOSThread()
	err := unix.Setns(nsfd, unix.CLONE_NEWNET)
	unix.Close(nsfd)
	if err != nil {
		runtime.UnlockOSThread() // still in rpod's namespace: the thread may be reused
		ready <- fmt.Errorf("publish ports: enter the container's network namespace: %w", err)
		return
	}
	ready <- nil
	// Never unlocked: the thread ends with this goroutine instead of going
	// back to the scheduler in the container's namespace.
	for {
		select {
		case r := <-s.reqs:
			fd, err := unix.Socket(r.domain, r.typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			r.reply <- sockRes{fd, err}
		case <-s.done:
			return
		}
	}
}

func (s *nsSockets) close() { close(s.done) }

func (s *nsSockets) socket(domain, typ int) (int, error) {
	r := sockReq{domain: domain, typ: typ, reply: make(chan sockRes, 1)}
	select {
	case s.reqs <- r:
	case <-s.done:
		return -1, errForwarderClosed
	}
	res := <-r.reply
	if res.err != nil {
		return -1, os.NewSyscallError("socket", res.err)
	}
	return res.fd, nil
}

// dial connects to addr from inside the namespace: "tcp" or "udp".
func (s *nsSockets) dial(network string, addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	return s.dialFrom(network, netip.AddrPort{}, addr, timeout)
}

// sockaddrOf is addr as a sockaddr of its family (IPv4 for ::ffff:a.b.c.d).
func sockaddrOf(addr netip.AddrPort) (int, unix.Sockaddr) {
	if a := addr.Addr(); a.Is6() && !a.Is4In6() {
		return unix.AF_INET6, &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16()}
	}
	return unix.AF_INET, &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().Unmap().As4()}
}

// dialFrom is dial from the source address from, an address of the host
// the namespace need not have (IP_TRANSPARENT): the container sees the
// connection come from there. from and addr are of one family; a zero
// from is dial.
func (s *nsSockets) dialFrom(network string, from, addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	domain, sa := sockaddrOf(addr)
	typ := unix.SOCK_STREAM
	if network == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := s.socket(domain, typ)
	if err != nil {
		return nil, err
	}
	// Non-blocking: os.NewFile puts it in the runtime's poller.
	f := os.NewFile(uintptr(fd), "netns-"+network)
	defer f.Close() // FileConn holds a duplicate
	if from.IsValid() {
		if err := bindTransparent(fd, domain, from); err != nil {
			return nil, &net.OpError{Op: "bind", Net: network, Addr: net.TCPAddrFromAddrPort(from), Err: err}
		}
		if typ == unix.SOCK_DGRAM {
			return unconnectedUDP(f, addr)
		}
	}
	if typ == unix.SOCK_DGRAM {
		err = unix.Connect(fd, sa)
	} else {
		err = connectPolled(f, sa, time.Now().Add(timeout))
	}
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(addr), Err: err}
	}
	return net.FileConn(f)
}

// connectPolled is a non-blocking connect that parks the goroutine, not
// the thread, until the handshake ends.
func connectPolled(f *os.File, sa unix.Sockaddr, deadline time.Time) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	if err := f.SetWriteDeadline(deadline); err != nil {
		return err
	}
	started := false
	var cerr error
	werr := rc.Write(func(fd uintptr) bool {
		if !started {
			started = true
			cerr = unix.Connect(int(fd), sa)
			return cerr != unix.EINPROGRESS && cerr != unix.EINTR && cerr != unix.EALREADY
		}
		n, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case err != nil:
			cerr = err
		case n != 0:
			cerr = unix.Errno(n)
		default:
			// The poller may wake early (a fresh socket polls as hung up):
			// connected only once it has a peer.
			if _, err := unix.Getpeername(int(fd)); err != nil {
				return false
			}
			cerr = nil
		}
		return true
	})
	if werr != nil {
		if errors.Is(werr, os.ErrDeadlineExceeded) {
			return unix.ETIMEDOUT
		}
		return werr
	}
	f.SetWriteDeadline(time.Time{})
	if cerr == unix.EISCONN {
		return nil
	}
	return cerr
}
