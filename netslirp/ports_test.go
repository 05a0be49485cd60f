package netslirp

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParsePublish(t *testing.T) {
	tcp := func(ip string, host, ctr uint16) PortMapping {
		return PortMapping{HostIP: ip, HostPort: host, ContainerPort: ctr, Protocol: "tcp"}
	}
	udp := func(ip string, host, ctr uint16) PortMapping {
		return PortMapping{HostIP: ip, HostPort: host, ContainerPort: ctr, Protocol: "udp"}
	}
	for _, tc := range []struct {
		in   string
		want []PortMapping
		err  string
	}{
		{in: "80", want: []PortMapping{tcp("", 0, 80)}},
		{in: "8080:80", want: []PortMapping{tcp("", 8080, 80)}},
		{in: ":80", want: []PortMapping{tcp("", 0, 80)}},
		{in: "127.0.0.1:8080:80", want: []PortMapping{tcp("127.0.0.1", 8080, 80)}},
		{in: "127.0.0.1::80", want: []PortMapping{tcp("127.0.0.1", 0, 80)}},
		{in: "0.0.0.0:8080:80", want: []PortMapping{tcp("", 8080, 80)}},
		{in: "8080:80/tcp", want: []PortMapping{tcp("", 8080, 80)}},
		{in: "5353:53/udp", want: []PortMapping{udp("", 5353, 53)}},
		{in: "53/UDP", want: []PortMapping{udp("", 0, 53)}},
		{in: "8053:53/tcp,udp", want: []PortMapping{tcp("", 8053, 53), udp("", 8053, 53)}},
		{in: "8053:53/udp,tcp,udp", want: []PortMapping{udp("", 8053, 53), tcp("", 8053, 53)}},
		{in: "8000-8002:80-82", want: []PortMapping{tcp("", 8000, 80), tcp("", 8001, 81), tcp("", 8002, 82)}},
		{in: "80-81", want: []PortMapping{tcp("", 0, 80), tcp("", 0, 81)}},
		{in: ":80-81/udp", want: []PortMapping{udp("", 0, 80), udp("", 0, 81)}},
		{in: "[::1]:8080:80", want: []PortMapping{tcp("::1", 8080, 80)}},
		{in: "[::]:8080:80/udp", want: []PortMapping{udp("::", 8080, 80)}},
		{in: "[0:0::1]::80", want: []PortMapping{tcp("::1", 0, 80)}},
		{in: "65535:65535", want: []PortMapping{tcp("", 65535, 65535)}},
		{in: "1:1", want: []PortMapping{tcp("", 1, 1)}},
		{in: "080:80", want: []PortMapping{tcp("", 80, 80)}},

		{in: "", err: "container port is needed"},
		{in: "8080:", err: "container port is needed"},
		{in: "0", err: "not a port number"},
		{in: "65536", err: "not a port number"},
		{in: "-1", err: "not a port number"},
		{in: "+80", err: "not a port number"},
		{in: "http", err: "not a port number"},
		{in: "8080:80/", err: "protocol is empty"},
		{in: "8080:80/icmp", err: `unrecognized protocol "icmp"`},
		{in: "8080:80/sctp", err: "sctp"},
		{in: "8080:80/tcp/udp", err: "only be specified once"},
		{in: "8000-8010:80", err: "different lengths: 11 vs 1"},
		{in: "8000:80-90", err: "different lengths: 1 vs 11"},
		{in: "8000-8001:80-82", err: "different lengths: 2 vs 3"},
		{in: "90-80", err: "must be above its start"},
		{in: "80-80", err: "must be above its start"},
		{in: "80-", err: "not a port number"},
		{in: "80-81-82", err: "not a port number"},
		{in: ":8080:80", err: "host IP is empty"},
		{in: "localhost:8080:80", err: `cannot parse "localhost"`},
		{in: "1.2.3:8080:80", err: "cannot parse"},
		{in: "::1:8080:80", err: "in brackets"},
		{in: "[::1:8080:80", err: "in brackets"},
		{in: "[::1]8080:80", err: "followed by a colon"},
		{in: "[::1]:80", err: "[IP]:HOSTPORT:CONTAINERPORT"},
		{in: "[::1]]:8080:80", err: "in brackets"},
		{in: "[fe80::1%eth0]:8080:80", err: "cannot parse"},
		{in: "[]:8080:80", err: "host IP is empty"},
		{in: "a:b:c:d", err: "the format is"},
	} {
		got, err := ParsePublish(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParsePublish(%q) = %v, %v; want error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePublish(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestMergePorts(t *testing.T) {
	for _, tc := range []struct {
		in  []string
		n   int
		err string
	}{
		{in: []string{"8080:80", "8081:80"}, n: 2},
		{in: []string{"8080:80", "8080:80"}, n: 1},
		{in: []string{"8080:80", "8080:80/udp"}, n: 2},
		{in: []string{"80", "80"}, n: 1},
		{in: []string{"127.0.0.1:8080:80", "127.0.0.2:8080:81"}, n: 2},
		{in: []string{"8080:80", "8080:81"}, err: "conflicting port mappings for host port 8080 (protocol tcp)"},
		{in: []string{"127.0.0.1:8080:80", "8080:81"}, err: "host port 8080"},
		{in: []string{"1000-2000:2000-3000", "1999-2999:3001-4001"}, err: "host port 1999"},
	} {
		got, err := MergePorts(parseAll(t, tc.in...))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("MergePorts(%q) = %v; want error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != tc.n {
			t.Errorf("MergePorts(%q) = %d mappings, %v; want %d", tc.in, len(got), err, tc.n)
		}
	}
}

func TestPortMappingString(t *testing.T) {
	for _, tc := range []struct {
		m    PortMapping
		want string
	}{
		{PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, "80/tcp -> 0.0.0.0:8080"},
		{PortMapping{HostIP: "127.0.0.1", HostPort: 53, ContainerPort: 53, Protocol: "udp"}, "53/udp -> 127.0.0.1:53"},
		{PortMapping{HostIP: "::1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, "80/tcp -> [::1]:8080"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.m, got, tc.want)
		}
	}
}

// FuzzParsePublish: no panic, and what parses is valid and prints back to
// a spec that parses to the same mappings.
func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"80", "8080:80", "127.0.0.1:8080:80/udp", "[::1]:8080:80", "8000-8010:80-90/tcp,udp", ":80", "[::]::1-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParsePublish(s)
		if err != nil {
			return
		}
		if len(ms) == 0 {
			t.Fatalf("%q: no mappings and no error", s)
		}
		for _, m := range ms {
			if m.ContainerPort == 0 || (m.Protocol != "tcp" && m.Protocol != "udp") {
				t.Fatalf("%q: invalid mapping %#v", s, m)
			}
			ip := m.HostIP
			if strings.Contains(ip, ":") {
				ip = "[" + ip + "]"
			}
			host := ""
			if m.HostPort != 0 {
				host = itoa(m.HostPort)
			}
			spec := host + ":" + itoa(m.ContainerPort) + "/" + m.Protocol
			if ip != "" {
				spec = ip + ":" + spec
			}
			again, err := ParsePublish(spec)
			if err != nil || len(again) != 1 || again[0] != m {
				t.Fatalf("%q: %#v printed as %q parses to %v, %v", s, m, spec, again, err)
			}
		}
	})
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }

func TestFormatPorts(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"8080:80"}, "0.0.0.0:8080->80/tcp"},
		{[]string{"3000-3001:3000-3001", "3100-3102:4000-4002", "127.0.0.1:8000:8080/udp"},
			"0.0.0.0:3000-3001->3000-3001/tcp, 0.0.0.0:3100-3102->4000-4002/tcp, 127.0.0.1:8000->8080/udp"},
		{[]string{"8080:80", "8081:81/udp"}, "0.0.0.0:8080->80/tcp, 0.0.0.0:8081->81/udp"},
		{[]string{"[::1]:8080:80"}, "[::1]:8080->80/tcp"},
	} {
		if got := FormatPorts(parseAll(t, tc.in...)); got != tc.want {
			t.Errorf("FormatPorts(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// parseAll is the mappings of every --publish spec, failing t on an invalid one.
func parseAll(t *testing.T, specs ...string) []PortMapping {
	t.Helper()
	var out []PortMapping
	for _, s := range specs {
		m, err := ParsePublish(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}
