package netslirp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// embPingTimeout is how long a forwarded echo request waits for its reply.
const embPingTimeout = 10 * time.Second

// embMaxPings bounds the echo requests in flight per container.
const embMaxPings = 64

// PingAllowed says whether the kernel lets this user open ICMP echo
// sockets (net.ipv4.ping_group_range): without them the embedded network
// drops echo requests to the outside, and ping in a container times out.
func PingAllowed() bool {
	c, err := icmp.ListenPacket("udp4", "0.0.0.0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// interceptPing takes the container's ICMP echo requests to the outside
// from the frame path and forwards them through an unprivileged ICMP
// socket, so that ping reports the real host's answer; gVisor would
// otherwise answer every address itself. Echo to the gateway and DNS
// addresses is left to the stack.
func (n *embeddedNet) interceptPing(frame []byte) bool {
	eth := header.Ethernet(frame)
	if eth.Type() != header.IPv4ProtocolNumber {
		return false
	}
	ip := header.IPv4(frame[header.EthernetMinimumSize:])
	if !ip.IsValid(len(ip)) || ip.TransportProtocol() != header.ICMPv4ProtocolNumber || ip.More() || ip.FragmentOffset() != 0 {
		return false
	}
	msg := header.ICMPv4(ip.Payload())
	if len(msg) < header.ICMPv4MinimumSize || msg.Type() != header.ICMPv4Echo {
		return false
	}
	dst := netip.AddrFrom4(ip.DestinationAddress().As4())
	if dst == embGatewayAddr || dst == embDNSAddr {
		return false
	}
	target, ok := n.translate(ip.DestinationAddress())
	if !ok || n.pingDenied.Load() || n.pings.Load() >= embMaxPings || !n.begin() {
		return true
	}
	n.pings.Add(1)
	req := append([]byte(nil), frame...)
	go func() {
		defer n.wg.Done()
		defer n.pings.Add(-1)
		n.ping(req, target)
	}()
	return true
}

// ping sends one echo request from the host and writes the reply to tap0.
func (n *embeddedNet) ping(frame []byte, target netip.Addr) {
	c, err := icmp.ListenPacket("udp4", "0.0.0.0")
	if err != nil {
		n.pingDenied.Store(true)
		return
	}
	if !n.track(c) {
		return
	}
	defer n.untrack(c)
	ip := header.IPv4(frame[header.EthernetMinimumSize:])
	req := header.ICMPv4(ip.Payload())
	ident := req.Ident()
	if _, err := c.WriteTo(req, &net.UDPAddr{IP: target.AsSlice()}); err != nil {
		return
	}
	c.SetReadDeadline(time.Now().Add(embPingTimeout))
	buf := make([]byte, len(req)+64)
	for {
		k, _, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		rep := header.ICMPv4(buf[:k])
		if k < header.ICMPv4MinimumSize || rep.Type() != header.ICMPv4EchoReply || rep.Sequence() != req.Sequence() {
			continue
		}
		n.writeEchoReply(frame, rep, ident)
		return
	}
}

// writeEchoReply answers the request in frame with rep's payload, as from
// the address the container pinged.
func (n *embeddedNet) writeEchoReply(frame []byte, rep header.ICMPv4, ident uint16) {
	eth := header.Ethernet(frame)
	reqIP := header.IPv4(frame[header.EthernetMinimumSize:])
	out := make([]byte, header.EthernetMinimumSize+header.IPv4MinimumSize+len(rep))
	header.Ethernet(out).Encode(&header.EthernetFields{
		SrcAddr: embGatewayMAC,
		DstAddr: eth.SourceAddress(),
		Type:    header.IPv4ProtocolNumber,
	})
	ip := header.IPv4(out[header.EthernetMinimumSize:])
	ip.Encode(&header.IPv4Fields{
		TotalLength: uint16(header.IPv4MinimumSize + len(rep)),
		ID:          reqIP.ID(),
		TTL:         64,
		Protocol:    uint8(header.ICMPv4ProtocolNumber),
		SrcAddr:     reqIP.DestinationAddress(),
		DstAddr:     reqIP.SourceAddress(),
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	msg := header.ICMPv4(ip.Payload())
	copy(msg, rep)
	msg.SetIdent(ident)
	msg.SetChecksum(0)
	msg.SetChecksum(^embChecksum(msg))
	n.link.writeFrame([][]byte{out})
}

// checksum is the Internet checksum's one's-complement sum of b.
func embChecksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}
