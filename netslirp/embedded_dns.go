package netslirp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// embHostName is the name of the host in every container.
const embHostName = "host.containers.internal"

// embDNSTimeout bounds one lookup on the host.
const embDNSTimeout = 5 * time.Second

// serveDNS answers DNS over UDP and TCP at EmbeddedDNS: host.containers.internal
// itself, addresses from the host's resolver as rpod's own lookups get them
// (its /etc/hosts and /etc/resolv.conf), other types from the host's
// name servers.
func (n *embeddedNet) serveDNS() error {
	at := tcpip.FullAddress{NIC: embNIC, Addr: tcpip.AddrFrom4(embDNSAddr.As4()), Port: 53}
	udpConn, err := gonet.DialUDP(n.stack, &at, nil, ipv4.ProtocolNumber)
	if err != nil {
		return err
	}
	if !n.track(udpConn) {
		return net.ErrClosed
	}
	tcpLn, err := gonet.ListenTCP(n.stack, at, ipv4.ProtocolNumber)
	if err != nil {
		return err
	}
	if !n.track(tcpLn) {
		return net.ErrClosed
	}
	h := &embDNS{ctx: n.ctx}
	n.wg.Add(2)
	go func() {
		defer n.wg.Done()
		(&dns.Server{PacketConn: udpConn, Handler: h}).ActivateAndServe()
	}()
	go func() {
		defer n.wg.Done()
		(&dns.Server{Listener: tcpLn, Handler: h}).ActivateAndServe()
	}()
	return nil
}

// embDNS is the forwarder's handler.
type embDNS struct {
	ctx context.Context
}

func (h *embDNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := h.answer(r)
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if o := r.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// answer resolves r's one question.
func (h *embDNS) answer(r *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := r.Question[0]
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	ctx, cancel := context.WithTimeout(h.ctx, embDNSTimeout)
	defer cancel()
	switch {
	case q.Qclass != dns.ClassINET:
		m.Rcode = dns.RcodeNotImplemented
	case name == embHostName:
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: embRR(q), A: net.IP(embGatewayAddr.AsSlice())})
		}
	case q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA:
		// One lookup for both families: a name with only A records must
		// answer AAAA with no records, not NXDOMAIN, or musl gives up.
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
		if err != nil {
			m.Rcode = embRcode(err)
			break
		}
		for _, ip := range ips {
			ip = ip.Unmap()
			switch {
			case q.Qtype == dns.TypeA && ip.Is4():
				m.Answer = append(m.Answer, &dns.A{Hdr: embRR(q), A: net.IP(ip.AsSlice())})
			case q.Qtype == dns.TypeAAAA && ip.Is6():
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: embRR(q), AAAA: net.IP(ip.AsSlice())})
			}
		}
	default:
		return h.forward(ctx, r, m)
	}
	return m
}

// forward asks the host's name servers the types the resolver API lacks.
func (h *embDNS) forward(ctx context.Context, r, m *dns.Msg) *dns.Msg {
	conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(conf.Servers) == 0 {
		m.Rcode = dns.RcodeServerFailure
		return m
	}
	c := &dns.Client{Timeout: embDNSTimeout}
	for _, s := range conf.Servers {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			reply, _, err := c.ExchangeContext(ctx, r, net.JoinHostPort(s, conf.Port))
			if err == nil {
				return reply
			}
		}
	}
	m.Rcode = dns.RcodeServerFailure
	return m
}

func embRR(q dns.Question) dns.RR_Header {
	return dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 0}
}

// embRcode is the answer to a failed lookup: NXDOMAIN only when the host
// says the name does not exist.
func embRcode(err error) int {
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return dns.RcodeNameError
	}
	return dns.RcodeServerFailure
}
