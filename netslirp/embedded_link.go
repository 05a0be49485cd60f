package netslirp

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// embTapLink is the stack's link endpoint over the TAP fd: one Ethernet frame
// per read and per write. Reads go through Go's poller so that closing the
// file stops the reader (gVisor's fdbased endpoint leaks an eventfd per
// endpoint, which a monitor restarting a container would accumulate).
type embTapLink struct {
	file *os.File
	raw  syscall.RawConn
	mac  tcpip.LinkAddress
	// intercept sees each frame first; true means it took the frame.
	intercept func(frame []byte) bool

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	done       chan struct{}
}

// embFrameMax is the largest frame at EmbeddedMTU.
const embFrameMax = EmbeddedMTU + header.EthernetMinimumSize

func newEmbTapLink(fd int, mac tcpip.LinkAddress) (*embTapLink, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	// The file does not own fd: embeddedNet closes it once the stack stopped.
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), EmbeddedTap)
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &embTapLink{file: f, raw: raw, mac: mac}, nil
}

func (l *embTapLink) readLoop(d stack.NetworkDispatcher) {
	defer close(l.done)
	v := buffer.NewViewSize(embFrameMax)
	for {
		var n int
		var rerr error
		err := l.raw.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), v.AsSlice())
			return rerr != unix.EAGAIN
		})
		if err != nil || (rerr != nil && !errors.Is(rerr, unix.EINTR)) {
			v.Release()
			return
		}
		if n < header.EthernetMinimumSize {
			continue
		}
		frame := v.AsSlice()[:n]
		if l.intercept != nil && l.intercept(frame) {
			continue
		}
		var payload buffer.Buffer
		if n < 8192 {
			// A small frame gets a buffer of its size, not the 64K view.
			payload = buffer.MakeWithData(frame)
		} else {
			v.CapLength(n)
			payload = buffer.MakeWithView(v)
			v = buffer.NewViewSize(embFrameMax)
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: payload})
		if !l.ParseHeader(pkt) {
			pkt.DecRef()
			continue
		}
		d.DeliverNetworkPacket(header.Ethernet(pkt.LinkHeader().Slice()).Type(), pkt)
		pkt.DecRef()
	}
}

// writeFrame writes one whole frame given as slices.
func (l *embTapLink) writeFrame(parts [][]byte) error {
	var werr error
	err := l.raw.Write(func(fd uintptr) bool {
		_, werr = unix.Writev(int(fd), parts)
		return werr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return werr
}

func (l *embTapLink) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, pkt := range pkts.AsSlice() {
		if err := l.writeFrame(pkt.AsSlices()); err != nil {
			if n == 0 {
				return 0, &tcpip.ErrClosedForSend{}
			}
			break
		}
		n++
	}
	return n, nil
}

// Attach starts the reader; nil (the NIC is removed) stops it.
func (l *embTapLink) Attach(d stack.NetworkDispatcher) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d == nil {
		if l.dispatcher != nil {
			l.file.Close()
			<-l.done
			l.dispatcher = nil
		}
		return
	}
	if l.dispatcher == nil {
		l.dispatcher = d
		l.done = make(chan struct{})
		go l.readLoop(d)
	}
}

func (l *embTapLink) IsAttached() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.dispatcher != nil
}

// stop closes the file and waits for the reader, when Attach(nil) did not.
func (l *embTapLink) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.file.Close()
	if l.dispatcher != nil {
		<-l.done
		l.dispatcher = nil
	}
}

func (l *embTapLink) MTU() uint32                             { return EmbeddedMTU }
func (l *embTapLink) SetMTU(uint32)                           {}
func (l *embTapLink) MaxHeaderLength() uint16                 { return header.EthernetMinimumSize }
func (l *embTapLink) LinkAddress() tcpip.LinkAddress          { return l.mac }
func (l *embTapLink) SetLinkAddress(tcpip.LinkAddress)        {}
func (l *embTapLink) Wait()                                   {}
func (l *embTapLink) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (l *embTapLink) Close()                                  {}
func (l *embTapLink) SetOnCloseAction(func())                 {}

// Capabilities: the container's kernel checksums what it sends to a TAP.
func (l *embTapLink) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityResolutionRequired | stack.CapabilityRXChecksumOffload
}

func (l *embTapLink) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{
		SrcAddr: pkt.EgressRoute.LocalLinkAddress,
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

func (l *embTapLink) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	return ok
}
