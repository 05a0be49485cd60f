package netslirp

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// The embedded stack's addresses, as slirp4netns lays them out.
const (
	// EmbeddedSubnet is the container's network.
	EmbeddedSubnet = "10.0.2.0/24"
	// EmbeddedGateway is the container's default route: the host.
	EmbeddedGateway = "10.0.2.2"
	// EmbeddedContainerIP is tap0's address in the container.
	EmbeddedContainerIP = "10.0.2.100"
	// EmbeddedDNS is the stack's DNS forwarder, for /etc/resolv.conf.
	EmbeddedDNS = "10.0.2.3"
	// EmbeddedHostAddress names the host (host.containers.internal) in /etc/hosts.
	EmbeddedHostAddress = EmbeddedGateway
	// EmbeddedMTU is tap0's MTU: large frames make a user-mode stack fast.
	EmbeddedMTU = 65520
	// EmbeddedTap is the device's name in the container.
	EmbeddedTap = "tap0"
)

var (
	embGatewayAddr   = netip.MustParseAddr(EmbeddedGateway)
	embDNSAddr       = netip.MustParseAddr(EmbeddedDNS)
	embContainerAddr = netip.MustParseAddr(EmbeddedContainerIP)
	embSubnet        = netip.MustParsePrefix(EmbeddedSubnet)
)

// embeddedNet is one container's user-mode stack and its TAP fd.
type embeddedNet struct {
	fd            int
	link          *embTapLink
	stack         *stack.Stack
	allowLoopback bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // forwarder goroutines of ours

	mu     sync.Mutex
	closed bool
	conns  map[io.Closer]struct{} // open proxied connections, closed by Close

	pingDenied atomic.Bool  // the kernel refused an ICMP socket
	pings      atomic.Int32 // echo requests in flight

	once     sync.Once
	closeErr error
}

// attachEmbedded runs rpod's own user-mode stack for the netns of pid.
func attachEmbedded(cfg *Config, pid int) (io.Closer, error) {
	n := &embeddedNet{fd: -1, conns: map[io.Closer]struct{}{}, allowLoopback: cfg != nil && cfg.AllowHostLoopback()}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	fd, err := embOpenTap(pid)
	if err != nil {
		n.cancel()
		return nil, fmt.Errorf("network embedded: %w", err)
	}
	n.fd = fd
	if err := n.start(); err != nil {
		n.Close()
		return nil, fmt.Errorf("network embedded: %w", err)
	}
	return n, nil
}

// track registers c to be closed by Close; false when Close already ran,
// and c is then closed.
func (n *embeddedNet) track(c io.Closer) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		c.Close()
		return false
	}
	n.conns[c] = struct{}{}
	return true
}

func (n *embeddedNet) untrack(c io.Closer) {
	n.mu.Lock()
	delete(n.conns, c)
	n.mu.Unlock()
	c.Close()
}

// Close stops the stack and its forwarders and closes the TAP fd: the
// container's tap0 disappears with it.
func (n *embeddedNet) Close() error {
	n.once.Do(func() {
		n.cancel()
		n.mu.Lock()
		n.closed = true
		conns := n.conns
		n.conns = nil
		n.mu.Unlock()
		for c := range conns {
			c.Close()
		}
		// The reader stops first: the stack removes its NIC holding its
		// own locks, which a packet being delivered may wait for.
		if n.link != nil {
			n.link.stop()
		}
		if n.stack != nil {
			n.stack.Destroy()
		}
		n.wg.Wait()
		if n.fd >= 0 {
			n.closeErr = unix.Close(n.fd)
		}
	})
	return n.closeErr
}
