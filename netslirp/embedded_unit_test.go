package netslirp

import (
	"net/netip"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

func TestEmbeddedTranslate(t *testing.T) {
	host := embHostIP()
	tests := []struct {
		dst      string
		loopback bool
		want     string // "" refused
	}{
		{"93.184.216.34", false, "93.184.216.34"},
		{"192.168.1.10", false, "192.168.1.10"},
		{EmbeddedGateway, true, "127.0.0.1"},
		{EmbeddedGateway, false, func() string {
			if host.IsValid() {
				return host.String()
			}
			return ""
		}()},
		{EmbeddedDNS, true, ""},
		{EmbeddedContainerIP, true, ""},
		{"10.0.2.77", true, ""},
		{"127.0.0.1", true, ""},
		{"127.1.2.3", false, ""},
		{"0.0.0.0", true, ""},
		{"0.1.2.3", true, ""},
		{"224.0.0.251", false, ""},
		{"255.255.255.255", false, ""},
	}
	for _, tt := range tests {
		n := &embeddedNet{allowLoopback: tt.loopback}
		got, ok := n.translate(tcpip.AddrFrom4(netip.MustParseAddr(tt.dst).As4()))
		if (tt.want == "") == ok || (ok && got.String() != tt.want) {
			t.Errorf("translate(%s, loopback=%v) = %v, %v; want %q", tt.dst, tt.loopback, got, ok, tt.want)
		}
	}
}

// echoFrame is an Ethernet frame with an ICMP echo request to dst.
func echoFrame(dst string) []byte {
	icmpLen := header.ICMPv4MinimumSize + 8
	b := make([]byte, header.EthernetMinimumSize+header.IPv4MinimumSize+icmpLen)
	header.Ethernet(b).Encode(&header.EthernetFields{SrcAddr: "\x02\x00\x00\x00\x00\x01", DstAddr: embGatewayMAC, Type: header.IPv4ProtocolNumber})
	ip := header.IPv4(b[header.EthernetMinimumSize:])
	ip.Encode(&header.IPv4Fields{
		TotalLength: uint16(header.IPv4MinimumSize + icmpLen), TTL: 64,
		Protocol: uint8(header.ICMPv4ProtocolNumber),
		SrcAddr:  tcpip.AddrFrom4(embContainerAddr.As4()),
		DstAddr:  tcpip.AddrFrom4(netip.MustParseAddr(dst).As4()),
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	m := header.ICMPv4(ip.Payload())
	m.SetType(header.ICMPv4Echo)
	m.SetIdent(7)
	m.SetSequence(1)
	return b
}

func TestEmbeddedInterceptPing(t *testing.T) {
	closed := &embeddedNet{closed: true}
	tests := []struct {
		frame []byte
		taken bool
	}{
		{echoFrame("198.51.100.7"), true},   // the outside: forwarded (or dropped), never faked
		{echoFrame("127.0.0.1"), true},      // refused: dropped
		{echoFrame(EmbeddedGateway), false}, // the stack answers for the host
		{echoFrame(EmbeddedDNS), false},
		{make([]byte, header.EthernetMinimumSize), false},
	}
	for i, tt := range tests {
		if got := closed.interceptPing(tt.frame); got != tt.taken {
			t.Errorf("frame %d: intercepted %v, want %v", i, got, tt.taken)
		}
	}
}

func FuzzEmbeddedInterceptPing(f *testing.F) {
	f.Add(echoFrame("198.51.100.7"))
	f.Add(echoFrame(EmbeddedGateway))
	n := &embeddedNet{closed: true} // no forwarding: only the parsing runs
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) < header.EthernetMinimumSize {
			return // the reader drops runts before
		}
		n.interceptPing(frame)
	})
}

func TestEmbeddedChecksum(t *testing.T) {
	b := echoFrame("198.51.100.7")
	ip := header.IPv4(b[header.EthernetMinimumSize:])
	if !ip.IsChecksumValid() {
		t.Fatal("test frame has a bad IP checksum")
	}
	m := header.ICMPv4(ip.Payload())
	m.SetChecksum(0)
	m.SetChecksum(^embChecksum(m))
	if embChecksum(m) != 0xffff {
		t.Errorf("ICMP checksum does not verify: %#x", embChecksum(m))
	}
}
