package netslirp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Policy routing inside the container's netns that brings the container's
// replies to a transparent forwarder socket (bound to a host client's
// address) back over loopback instead of out of the default route:
//
//	ip rule add from 127.0.0.0/8 iif lo lookup 29296 pref 29296
//	ip rule add ipproto udp sport PORT iif lo lookup 29296 pref 29296   (each published UDP port)
//	ip route add local 0.0.0.0/0 dev lo src 127.0.0.1 table 29296
//
// and the same with ::1 and ::/0 for IPv6. The first rule matches only
// packets from a loopback source to an address that is not local, which the
// kernel refuses to send anyway, so it changes nothing else. UDP servers
// reply from an unbound socket, whose source the route picks: hence the
// sport rules, which also loop back the container's own datagrams sent
// from a published UDP port to the outside (a DNS server querying from
// port 53). The route's source makes such replies come from 127.0.0.1, the
// address the forwarder's datagrams went to.

const (
	// portSourceTable is the routing table of the rules (0x7270, "rp").
	portSourceTable = 29296
	// portSourcePriority puts the rules after "local" (0) and before "main".
	portSourcePriority = 29296
	// loopbackIfindex is lo's index in every network namespace.
	loopbackIfindex = 1
)

// sizeofFibRuleHdr is struct fib_rule_hdr (linux/fib_rules.h).
const sizeofFibRuleHdr = 12

// nlAttr appends one netlink attribute, padded to 4 bytes.
func nlAttr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func nlU32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// nlMessage wraps a payload in a netlink header asking for an ack.
func nlMessage(typ uint16, flags uint16, seq uint32, payload []byte) []byte {
	b := make([]byte, 0, unix.SizeofNlMsghdr+len(payload))
	b = binary.NativeEndian.AppendUint32(b, uint32(unix.SizeofNlMsghdr+len(payload)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	return append(b, payload...)
}

// loopbackOf is the family's loopback address and its prefix length in the rule.
func loopbackOf(v6 bool) (netip.Addr, uint8) {
	if v6 {
		return netip.IPv6Loopback(), 128
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 0}), 8
}

// loopbackAddr is the family's loopback address: 127.0.0.1 or ::1.
func loopbackAddr(v6 bool) netip.Addr {
	if v6 {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

func familyOf(v6 bool) uint8 {
	if v6 {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

// newLocalRouteMsg is RTM_NEWROUTE for "local default dev lo src LOOPBACK
// table portSourceTable".
func newLocalRouteMsg(v6 bool, seq uint32) []byte {
	p := []byte{
		familyOf(v6), 0, 0, 0, // family, dst_len, src_len, tos
		unix.RT_TABLE_UNSPEC, unix.RTPROT_STATIC, unix.RT_SCOPE_HOST, unix.RTN_LOCAL,
		0, 0, 0, 0, // flags
	}
	p = nlAttr(p, unix.RTA_TABLE, nlU32(portSourceTable))
	p = nlAttr(p, unix.RTA_OIF, nlU32(loopbackIfindex))
	p = nlAttr(p, unix.RTA_PREFSRC, loopbackAddr(v6).AsSlice())
	return nlMessage(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, seq, p)
}

// newRuleMsg is RTM_NEWRULE for "iif lo lookup portSourceTable": from the
// family's loopback when udpPort is 0, else "ipproto udp sport udpPort".
func newRuleMsg(v6 bool, udpPort uint16, seq uint32) []byte {
	lo, bits := loopbackOf(v6)
	srcLen := bits
	if udpPort != 0 {
		srcLen = 0
	}
	p := []byte{
		familyOf(v6), 0, srcLen, 0, // family, dst_len, src_len, tos
		unix.RT_TABLE_UNSPEC, 0, 0, unix.FR_ACT_TO_TBL,
		0, 0, 0, 0, // flags
	}
	p = nlAttr(p, unix.FRA_IIFNAME, []byte("lo\x00"))
	p = nlAttr(p, unix.FRA_PRIORITY, nlU32(portSourcePriority))
	p = nlAttr(p, unix.FRA_TABLE, nlU32(portSourceTable))
	if udpPort == 0 {
		p = nlAttr(p, unix.FRA_SRC, lo.AsSlice())
	} else {
		p = nlAttr(p, unix.FRA_IP_PROTO, []byte{unix.IPPROTO_UDP})
		ports := binary.NativeEndian.AppendUint16(nil, udpPort)
		p = nlAttr(p, unix.FRA_SPORT_RANGE, binary.NativeEndian.AppendUint16(ports, udpPort))
	}
	return nlMessage(unix.RTM_NEWRULE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, seq, p)
}

// parseNlAck reads the ack of request seq from a netlink reply: nil for
// success, the errno the kernel answered, or an error for anything else.
// An existing route or rule (EEXIST) is success: the netns was set up by
// an earlier start.
func parseNlAck(b []byte, seq uint32) (done bool, err error) {
	for len(b) >= unix.SizeofNlMsghdr {
		l := binary.NativeEndian.Uint32(b[0:4])
		typ := binary.NativeEndian.Uint16(b[4:6])
		mseq := binary.NativeEndian.Uint32(b[8:12])
		if l < unix.SizeofNlMsghdr || int(l) > len(b) {
			return false, fmt.Errorf("netlink: truncated message")
		}
		body := b[unix.SizeofNlMsghdr:l]
		if typ == unix.NLMSG_ERROR && mseq == seq {
			if len(body) < 4 {
				return false, fmt.Errorf("netlink: truncated ack")
			}
			errno := int32(binary.NativeEndian.Uint32(body[0:4]))
			if errno == 0 || unix.Errno(-errno) == unix.EEXIST {
				return true, nil
			}
			return true, unix.Errno(-errno)
		}
		next := (int(l) + 3) &^ 3
		if next > len(b) {
			break
		}
		b = b[next:]
	}
	return false, nil
}

// addSourceRouting installs the route and rules of one family in the netns
// of ns; udpPorts are the published UDP container ports.
func (s *nsSockets) addSourceRouting(v6 bool, udpPorts []uint16) error {
	fd, err := s.socket(unix.AF_NETLINK, unix.SOCK_RAW)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.SetNonblock(fd, false); err != nil {
		return err
	}
	// A lost ack must not hang the forwarder.
	tv := unix.Timeval{Sec: 5}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	msgs := [][]byte{newLocalRouteMsg(v6, 1), newRuleMsg(v6, 0, 2)}
	for i, p := range udpPorts {
		msgs = append(msgs, newRuleMsg(v6, p, uint32(3+i)))
	}
	buf := make([]byte, 8192)
	for i, m := range msgs {
		if err := unix.Sendto(fd, m, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return os.NewSyscallError("sendto netlink", err)
		}
		for {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return os.NewSyscallError("recvfrom netlink", err)
			}
			done, err := parseNlAck(buf[:n], uint32(i+1))
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	return nil
}

// kernelHasPortRules reports whether the running kernel matches rules on
// ipproto and sport (4.17): an older one ignores those attributes and
// would add a rule that loops every datagram back.
func kernelHasPortRules() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	return kernelAtLeast(unix.ByteSliceToString(u.Release[:]), 4, 17)
}

// kernelAtLeast compares a release such as "6.1.0-13-amd64" with major.minor.
func kernelAtLeast(release string, major, minor int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err := strconv.Atoi(parts[0])
	if err != nil {
		return false
	}
	digits := parts[1]
	if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = digits[:i]
	}
	mi, err := strconv.Atoi(digits)
	if err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
