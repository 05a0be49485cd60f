package netslirp

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// embUDPIdle is how long a UDP flow lives without traffic either way.
const embUDPIdle = 60 * time.Second

// begin counts a forwarder goroutine in; false once Close has begun.
func (n *embeddedNet) begin() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	n.wg.Add(1)
	return true
}

// translate maps a destination the container asked for to the host address
// rpod dials. The gateway is the host: its loopback when allowed, else its
// first global address, so that host.containers.internal always names the
// host. The host's loopback is never reachable otherwise, not even by a
// forged destination.
func (n *embeddedNet) translate(a tcpip.Address) (netip.Addr, bool) {
	if a.Len() != 4 {
		return netip.Addr{}, false
	}
	ip := netip.AddrFrom4(a.As4())
	switch {
	case ip == embGatewayAddr:
		if n.allowLoopback {
			return netip.AddrFrom4([4]byte{127, 0, 0, 1}), true
		}
		h := embHostIP()
		return h, h.IsValid()
	case embSubnet.Contains(ip), ip.IsLoopback(), ip.IsUnspecified(), ip.IsMulticast(),
		ip.As4()[0] == 0, ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return netip.Addr{}, false
	}
	return ip, true
}

// embHostIP is the host's first global IPv4 address (invalid if none),
// looked up once per process.
var embHostIP = sync.OnceValue(func() netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Addr{}
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			if ip := p.Addr(); ip.Is4() && ip.IsGlobalUnicast() {
				return ip
			}
		}
	}
	return netip.Addr{}
})

// forwardTCP dials the destination from the host and only then accepts the
// container's connection, so that a refused dial is a reset in the container.
func (n *embeddedNet) forwardTCP(r *tcp.ForwarderRequest) {
	id := r.ID()
	dst, ok := n.translate(id.LocalAddress)
	if !ok || !n.begin() {
		r.Complete(true)
		return
	}
	defer n.wg.Done()
	d := net.Dialer{Timeout: 30 * time.Second}
	c, err := d.DialContext(n.ctx, "tcp4", net.JoinHostPort(dst.String(), strconv.Itoa(int(id.LocalPort))))
	if err != nil {
		r.Complete(true)
		return
	}
	host := c.(*net.TCPConn)
	var wq waiter.Queue
	ep, e := r.CreateEndpoint(&wq)
	r.Complete(false)
	if e != nil {
		host.Close()
		return
	}
	ep.SocketOptions().SetKeepAlive(true)
	guest := gonet.NewTCPConn(&wq, ep)
	if !n.track(host) || !n.track(guest) {
		host.Close()
		guest.Close()
		return
	}
	defer n.untrack(host)
	defer n.untrack(guest)
	done := make(chan struct{})
	go func() {
		embPipe(host, guest)
		close(done)
	}()
	embPipe(guest, host)
	<-done
}

type embHalfCloser interface {
	net.Conn
	CloseWrite() error
}

// pipe copies src to dst, then half-closes dst; an error closes both.
func embPipe(dst, src embHalfCloser) {
	buf := make([]byte, 128<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				dst.Close()
				src.Close()
				return
			}
		}
		if errors.Is(err, io.EOF) {
			dst.CloseWrite()
			return
		}
		if err != nil {
			dst.Close()
			src.Close()
			return
		}
	}
}

// forwardUDP opens a host socket per flow (container address and port to
// destination) and relays both ways until the flow is idle.
func (n *embeddedNet) forwardUDP(r *udp.ForwarderRequest) {
	id := r.ID()
	dst, ok := n.translate(id.LocalAddress)
	if !ok || !n.begin() {
		return
	}
	var wq waiter.Queue
	ep, e := r.CreateEndpoint(&wq)
	if e != nil {
		n.wg.Done()
		return
	}
	guest := gonet.NewUDPConn(&wq, ep)
	host, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, id.LocalPort)))
	if err != nil {
		guest.Close()
		n.wg.Done()
		return
	}
	if !n.track(host) || !n.track(guest) {
		host.Close()
		guest.Close()
		n.wg.Done()
		return
	}
	go func() {
		defer n.wg.Done()
		defer n.untrack(host)
		defer n.untrack(guest)
		var last atomic.Int64
		last.Store(time.Now().UnixNano())
		done := make(chan struct{})
		go func() {
			embRelayUDP(host, guest, &last)
			close(done)
		}()
		embRelayUDP(guest, host, &last)
		<-done
	}()
}

// embRelayUDP copies datagrams until src has been idle, with dst, for embUDPIdle
// or fails; it then closes both to stop the other direction.
func embRelayUDP(dst, src net.Conn, last *atomic.Int64) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 64<<10)
	for {
		src.SetReadDeadline(time.Now().Add(embUDPIdle))
		k, err := src.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && time.Since(time.Unix(0, last.Load())) < embUDPIdle {
				continue
			}
			return
		}
		last.Store(time.Now().UnixNano())
		dst.Write(buf[:k])
	}
}
