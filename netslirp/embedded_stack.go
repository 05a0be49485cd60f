package netslirp

import (
	"errors"
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// embGatewayMAC is the stack's locally administered MAC on the container's link.
var embGatewayMAC = tcpip.LinkAddress("\x02\x00\x0a\x00\x02\x02")

const embNIC = 1

// start builds the gVisor stack on the TAP fd: it owns the gateway and
// DNS addresses and, promiscuous, takes every other destination for the
// forwarders to dial from the host.
func (n *embeddedNet) start() error {
	link, err := newEmbTapLink(n.fd, embGatewayMAC)
	if err != nil {
		return err
	}
	n.link = link
	link.intercept = n.interceptPing
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	n.stack = s
	if err := embStackOptions(s); err != nil {
		return err
	}
	if e := s.CreateNIC(embNIC, link); e != nil {
		link.stop()
		return errors.New(e.String())
	}
	for _, a := range []string{EmbeddedGateway, EmbeddedDNS} {
		addr := tcpip.ProtocolAddress{
			Protocol:          ipv4.ProtocolNumber,
			AddressWithPrefix: tcpip.AddrFrom4(netip.MustParseAddr(a).As4()).WithPrefix(),
		}
		if e := s.AddProtocolAddress(embNIC, addr, stack.AddressProperties{}); e != nil {
			return fmt.Errorf("address %s: %s", a, e)
		}
	}
	if e := s.SetSpoofing(embNIC, true); e != nil {
		return errors.New(e.String())
	}
	if e := s.SetPromiscuousMode(embNIC, true); e != nil {
		return errors.New(e.String())
	}
	sub, err := tcpip.NewSubnet(tcpip.AddrFromSlice(embSubnet.Addr().AsSlice()), tcpip.MaskFromBytes([]byte{255, 255, 255, 0}))
	if err != nil {
		return err
	}
	s.SetRouteTable([]tcpip.Route{{Destination: sub, NIC: embNIC}})

	s.SetTransportProtocolHandler(tcp.ProtocolNumber, tcp.NewForwarder(s, 0, 256, n.forwardTCP).HandlePacket)
	s.SetTransportProtocolHandler(udp.ProtocolNumber, udp.NewForwarder(s, n.forwardUDP).HandlePacket)
	return n.serveDNS()
}

// embStackOptions tunes TCP for bulk transfer over a 64K-MTU link.
func embStackOptions(s *stack.Stack) error {
	sack := tcpip.TCPSACKEnabled(true)
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	rcv := tcpip.TCPReceiveBufferSizeRangeOption{Min: 4 << 10, Default: 1 << 20, Max: 8 << 20}
	snd := tcpip.TCPSendBufferSizeRangeOption{Min: 4 << 10, Default: 1 << 20, Max: 8 << 20}
	for _, o := range []tcpip.SettableTransportProtocolOption{&sack, &moderate, &rcv, &snd} {
		if e := s.SetTransportProtocolOption(tcp.ProtocolNumber, o); e != nil {
			return fmt.Errorf("tcp option: %s", e)
		}
	}
	return nil
}
