package netslirp

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// ParsePublish parses one -p value: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], with ranges.
// As podman: PROTO may be "tcp,udp"; an IPv6 host address is in brackets; an
// empty or absent host port is a random one, chosen when the container starts;
// a host range must be as long as the container range.
func ParsePublish(spec string) ([]PortMapping, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("invalid publish %q: %s", spec, fmt.Sprintf(format, a...))
	}
	rest, protoPart, hasProto := strings.Cut(spec, "/")
	protos := []string{"tcp"}
	if hasProto {
		if strings.Contains(protoPart, "/") {
			return nil, bad("protocol can only be specified once")
		}
		var err error
		if protos, err = parseProtocols(protoPart); err != nil {
			return nil, bad("%v", err)
		}
	}

	var hostIP, hostPort, ctrPort string
	hasIP, hasHostPort := false, false
	if strings.HasPrefix(rest, "[") {
		addr, after, ok := strings.Cut(rest[1:], "]")
		if !ok || strings.Contains(after, "]") {
			return nil, bad("an IPv6 address goes in brackets: [::1]:8080:80")
		}
		after, ok = strings.CutPrefix(after, ":")
		if !ok {
			return nil, bad("the IPv6 address must be followed by a colon and the host port")
		}
		hostIP, hasIP = addr, true
		parts := strings.Split(after, ":")
		if len(parts) != 2 {
			return nil, bad("with an IPv6 address the format is [IP]:HOSTPORT:CONTAINERPORT")
		}
		hostPort, ctrPort, hasHostPort = parts[0], parts[1], true
	} else {
		parts := strings.Split(rest, ":")
		switch len(parts) {
		case 1:
			ctrPort = parts[0]
		case 2:
			hostPort, ctrPort, hasHostPort = parts[0], parts[1], true
		case 3:
			hostIP, hostPort, ctrPort, hasIP, hasHostPort = parts[0], parts[1], parts[2], true, true
		default:
			return nil, bad("the format is [IP:][HOSTPORT:]CONTAINERPORT[/PROTOCOL], an IPv6 address in brackets: [::1]:8080:80")
		}
	}

	if ctrPort == "" {
		return nil, bad("a container port is needed")
	}
	cStart, cLen, err := parseRange(ctrPort)
	if err != nil {
		return nil, bad("container port: %v", err)
	}
	var hStart uint16
	if hasHostPort && hostPort != "" {
		var hLen uint16
		if hStart, hLen, err = parseRange(hostPort); err != nil {
			return nil, bad("host port: %v", err)
		}
		if hLen != cLen {
			return nil, bad("host and container port ranges have different lengths: %d vs %d", hLen, cLen)
		}
	}
	ip := ""
	if hasIP {
		if hostIP == "" {
			return nil, bad("the host IP is empty")
		}
		parsed := net.ParseIP(hostIP)
		if parsed == nil || strings.Contains(hostIP, "%") {
			return nil, bad("cannot parse %q as an IP address", hostIP)
		}
		// 0.0.0.0 is all addresses, as no IP at all (podman and Docker agree).
		if !parsed.Equal(net.IPv4zero) {
			ip = parsed.String()
		}
	}

	var out []PortMapping
	for _, proto := range protos {
		for i := uint16(0); i < cLen; i++ {
			m := PortMapping{HostIP: ip, ContainerPort: cStart + i, Protocol: proto}
			if hStart != 0 {
				m.HostPort = hStart + i
			}
			out = append(out, m)
		}
	}
	return out, nil
}

func parseProtocols(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("the protocol is empty: tcp or udp")
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.ToLower(p)
		switch p {
		case "tcp", "udp":
		case "sctp":
			return nil, fmt.Errorf("sctp ports cannot be published rootless: tcp or udp")
		default:
			return nil, fmt.Errorf("unrecognized protocol %q: tcp or udp", p)
		}
		dup := false
		for _, q := range out {
			dup = dup || q == p
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out, nil
}

// parseRange parses PORT or START-END into the first port and the count.
func parseRange(s string) (start, n uint16, err error) {
	a, b, isRange := strings.Cut(s, "-")
	start, err = parsePort(a)
	if err != nil {
		return 0, 0, err
	}
	if !isRange {
		return start, 1, nil
	}
	end, err := parsePort(b)
	if err != nil {
		return 0, 0, err
	}
	if end <= start {
		return 0, 0, fmt.Errorf("the end of range %s must be above its start", s)
	}
	return start, end - start + 1, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a port number (1 to 65535)", s)
	}
	return uint16(n), nil
}

// MergePorts checks a container's mappings together: an exact duplicate is
// dropped, and one host port for two container ports is an error (the
// second bind would fail at every start).
func MergePorts(ports []PortMapping) ([]PortMapping, error) {
	var out []PortMapping
next:
	for _, p := range ports {
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		for _, q := range out {
			if p == q {
				continue next
			}
			// A random port never collides; all addresses ("") overlap any one.
			if p.HostPort != 0 && p.HostPort == q.HostPort && p.Protocol == q.Protocol &&
				(p.HostIP == q.HostIP || p.HostIP == "" || q.HostIP == "") {
				return nil, fmt.Errorf("conflicting port mappings for host port %d (protocol %s): container ports %d and %d",
					p.HostPort, p.Protocol, q.ContainerPort, p.ContainerPort)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// HostAddr is the host address of the mapping as podman prints it: 0.0.0.0:8080, [::1]:8080.
func (p PortMapping) HostAddr() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return net.JoinHostPort(ip, strconv.Itoa(int(p.HostPort)))
}

// String is the mapping as rpod port shows it: 80/tcp -> 0.0.0.0:8080.
func (p PortMapping) String() string {
	return fmt.Sprintf("%d/%s -> %s", p.ContainerPort, p.Protocol, p.HostAddr())
}

// publish forwards cfg's published ports from the host into the netns of
// pid. A mapping with no host port gets a free one, written back into
// cfg.Ports so that the caller can record it (rpod port shows it) and a
// restart keeps it.
func publish(cfg *Config, pid int) (io.Closer, error) {
	if len(cfg.Ports) == 0 {
		return nopCloser{}, nil
	}
	return startForwarder(cfg.Ports, pid)
}

// FormatPorts is the mappings as podman's ps PORTS column shows them:
// "0.0.0.0:8080->80/tcp, 0.0.0.0:9000-9001->9000-9001/udp", consecutive
// ports joined into ranges.
func FormatPorts(ports []PortMapping) string {
	var parts []string
	for i := 0; i < len(ports); {
		p, n := ports[i], 1
		for i+n < len(ports) {
			q := ports[i+n]
			if q.HostIP != p.HostIP || q.Protocol != p.Protocol || q.HostPort == 0 ||
				int(q.HostPort) != int(p.HostPort)+n || int(q.ContainerPort) != int(p.ContainerPort)+n {
				break
			}
			n++
		}
		host, ctr := p.HostAddr(), strconv.Itoa(int(p.ContainerPort))
		if n > 1 {
			host += fmt.Sprintf("-%d", int(p.HostPort)+n-1)
			ctr += fmt.Sprintf("-%d", int(p.ContainerPort)+n-1)
		}
		parts = append(parts, fmt.Sprintf("%s->%s/%s", host, ctr, p.Protocol))
		i += n
	}
	return strings.Join(parts, ", ")
}
