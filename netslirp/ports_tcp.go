package netslirp

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// serveTCP accepts on a host port and forwards each connection into the
// container.
func (f *portForwarder) serveTCP(ln *net.TCPListener, target netip.AddrPort) {
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			if f.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, most likely: let some close.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.forwardTCP(c, target)
		}()
	}
}

func (f *portForwarder) forwardTCP(c *net.TCPConn, target netip.AddrPort) {
	if !f.track(c) {
		return
	}
	defer f.untrack(c)
	inner, err := f.dialKeepingSource("tcp", c.RemoteAddr().(*net.TCPAddr).AddrPort(), target)
	if err != nil {
		// Nothing listens in the container: the client sees a reset, as
		// it would connecting there directly.
		c.SetLinger(0)
		c.Close()
		return
	}
	ic := inner.(*net.TCPConn)
	if !f.track(ic) {
		c.Close()
		return
	}
	defer f.untrack(ic)
	pipeTCP(c, ic)
}

// pipeTCP copies both ways (splice(2) between the sockets), passing on a
// half-close as a half-close and a reset as a reset.
func pipeTCP(a, b *net.TCPConn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		copyTCPHalf(b, a)
	}()
	copyTCPHalf(a, b)
	wg.Wait()
	a.Close()
	b.Close()
}

func copyTCPHalf(dst, src *net.TCPConn) {
	if _, err := io.Copy(dst, src); err != nil {
		// A reset or a failed write: neither direction can go on.
		dst.SetLinger(0)
		src.SetLinger(0)
		dst.Close()
		src.Close()
		return
	}
	dst.CloseWrite()
}
