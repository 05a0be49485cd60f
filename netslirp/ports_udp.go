package netslirp

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// portUDPIdle is how long a UDP flow lives with no datagram either way.
	portUDPIdle = 60 * time.Second
	// portUDPMaxFlows bounds the sockets held for one port's clients.
	portUDPMaxFlows = 1024
)

// portUDPFlow is one host client's datagrams to and from the container, over a
// socket of its own inside the container's netns (the container replies to
// that socket, which tells the client apart), bound to the client's address
// when it can be (ports_source.go).
type portUDPFlow struct {
	inner net.Conn     // a *net.UDPConn, or udpTo
	last  atomic.Int64 // unix nanoseconds of the last datagram either way
}

func (fl *portUDPFlow) touch() { fl.last.Store(time.Now().UnixNano()) }

// serveUDP reads datagrams from host clients and forwards each to the
// container from the client's flow.
func (f *portForwarder) serveUDP(pc *net.UDPConn, target netip.AddrPort) {
	var mu sync.Mutex
	flows := map[netip.AddrPort]*portUDPFlow{}
	// flow is from's flow, a new one when it has none.
	flow := func(from netip.AddrPort) (*portUDPFlow, error) {
		mu.Lock()
		fl := flows[from]
		full := len(flows) >= portUDPMaxFlows
		mu.Unlock()
		if fl != nil {
			return fl, nil
		}
		if full {
			return nil, nil // dropped, as a full conntrack table drops
		}
		c, err := f.dialKeepingSource("udp", from, target)
		if err != nil {
			return nil, err
		}
		fl = &portUDPFlow{inner: c}
		if !f.track(fl.inner) {
			return nil, errForwarderClosed
		}
		fl.touch()
		mu.Lock()
		flows[from] = fl
		mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.replyUDP(pc, fl, from)
			mu.Lock()
			if flows[from] == fl {
				delete(flows, from)
			}
			mu.Unlock()
			f.untrack(fl.inner)
			fl.inner.Close()
		}()
		return fl, nil
	}
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if f.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		// Twice: a flow that expired just now is replaced.
		for range 2 {
			fl, err := flow(from)
			if errors.Is(err, errForwarderClosed) {
				return
			}
			if fl == nil {
				break
			}
			fl.touch()
			if _, err := fl.inner.Write(buf[:n]); !errors.Is(err, net.ErrClosed) {
				break
			}
			mu.Lock()
			if flows[from] == fl {
				delete(flows, from)
			}
			mu.Unlock()
		}
	}
}

// replyUDP sends the container's replies back to the client until the flow
// has been idle for portUDPIdle or the forwarder closes.
func (f *portForwarder) replyUDP(pc *net.UDPConn, fl *portUDPFlow, client netip.AddrPort) {
	buf := make([]byte, 65535)
	for {
		fl.inner.SetReadDeadline(time.Unix(0, fl.last.Load()).Add(portUDPIdle))
		n, err := fl.inner.Read(buf)
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				if time.Since(time.Unix(0, fl.last.Load())) >= portUDPIdle {
					return
				}
			case errors.Is(err, net.ErrClosed):
				return
			}
			// ECONNREFUSED: nothing listened when a datagram arrived; the
			// flow stays for the next one.
			continue
		}
		fl.touch()
		if _, err := pc.WriteToUDPAddrPort(buf[:n], client); err != nil && errors.Is(err, net.ErrClosed) {
			return
		}
	}
}
