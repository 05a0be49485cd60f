package netslirp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseNetwork(t *testing.T) {
	for _, c := range []struct {
		in   string
		want *Config
		err  string
	}{
		{in: "", want: &Config{}},
		{in: "private", want: &Config{}},
		{in: "none", want: &Config{Mode: "none"}},
		{in: "host", want: &Config{Mode: "host"}},
		{in: "slirp4netns", want: &Config{Mode: "slirp4netns"}},
		{in: "slirp4netns:allow_host_loopback=true,mtu=1500", want: &Config{Mode: "slirp4netns",
			Options: map[string]string{"allow_host_loopback": "true", "mtu": "1500"}}},
		{in: "slirp4netns:cidr=10.5.0.0/24,enable_ipv6=false,outbound_addr=eth0,port_handler=rootlesskit", want: &Config{Mode: "slirp4netns",
			Options: map[string]string{"cidr": "10.5.0.0/24", "enable_ipv6": "false", "outbound_addr": "eth0", "port_handler": "rootlesskit"}}},
		{in: "pasta", want: &Config{Mode: "pasta"}},
		{in: "pasta:--map-gw,-m,1500", want: &Config{Mode: "pasta", Args: []string{"--map-gw", "-m", "1500"}}},
		{in: "embedded:allow_host_loopback=true", want: &Config{Mode: "embedded", Options: map[string]string{"allow_host_loopback": "true"}}},
		{in: "container:web", want: &Config{Mode: "container:web"}},
		{in: "ns:/run/netns/x", want: &Config{Mode: "ns:/run/netns/x"}},
		{in: "bogus", err: `unknown --network mode "bogus"`},
		{in: "bridge", err: "no bridge networks"},
		{in: "none:x", err: "none takes no options"},
		{in: "private:x", err: "takes no options"},
		{in: "container:", err: "name the container"},
		{in: "ns:rel", err: "absolute path"},
		{in: "slirp4netns:mtu", err: "not KEY=VALUE"},
		{in: "slirp4netns:mtu=10", err: "mtu must be"},
		{in: "slirp4netns:allow_host_loopback=yes", err: "true or false"},
		{in: "slirp4netns:cidr=10.0.0.0/30", err: "cidr must be"},
		{in: "slirp4netns:port_handler=slirp4netns", err: "not supported"},
		{in: "slirp4netns:what=1", err: "unknown slirp4netns option"},
		{in: "embedded:mtu=1500", err: "unknown embedded option"},
		{in: "pasta:--netns,/x", err: "set by rpod"},
		{in: "pasta:-t,,1", err: "empty pasta option"},
	} {
		got, err := ParseNetwork(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseNetwork(%q) = %v, want error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseNetwork(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseNetwork(f *testing.F) {
	for _, s := range []string{"slirp4netns:mtu=1500,cidr=10.0.2.0/24", "pasta:-t,80", "container:x", "ns:/a", "embedded:allow_host_loopback=true", ":", "slirp4netns:="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := ParseNetwork(s)
		if err != nil {
			return
		}
		// What parses has a known backend, and dispatches.
		switch cfg.Backend() {
		case "", ModeSlirp4netns, ModePasta, ModeEmbedded, ModeNone, ModeHost, "container", "ns":
		default:
			t.Fatalf("ParseNetwork(%q) gave backend %q", s, cfg.Backend())
		}
		if cfg.Backend() == ModeSlirp4netns {
			if _, err := slirpAddrs(cfg.Options["cidr"]); err != nil {
				t.Fatalf("accepted cidr does not compute: %v", err)
			}
		}
	})
}

func TestDefaultMode(t *testing.T) {
	if got := DefaultMode(); got != ModeEmbedded {
		t.Errorf("DefaultMode() = %q, want embedded", got)
	}
	defer func(f func(string) (string, error)) { lookPath = f }(lookPath)
	lookPath = func(name string) (string, error) { return "", errors.New("not found") }
	if _, err := helperPath("pasta", "passt"); err == nil || !strings.Contains(err.Error(), "apt install passt") {
		t.Errorf("missing helper: %v", err)
	}
}

func TestSlirpAddrs(t *testing.T) {
	n, err := slirpAddrs("10.5.0.0/16")
	if err != nil || n.Container.String() != "10.5.0.100" || n.Gateway.String() != "10.5.0.2" || n.DNS.String() != "10.5.0.3" {
		t.Errorf("slirpAddrs(10.5.0.0/16) = %+v, %v", n, err)
	}
	n, err = slirpAddrs("")
	if err != nil || n.Container.String() != "10.0.2.100" {
		t.Errorf("default: %+v, %v", n, err)
	}
}

func TestPastaArgs(t *testing.T) {
	got := strings.Join(pastaArgs(&Config{Mode: "pasta"}), " ")
	if want := "--config-net --foreground --quiet -t none -u none -T none -U none --no-map-gw"; got != want {
		t.Errorf("pastaArgs() = %q, want %q", got, want)
	}
	got = strings.Join(pastaArgs(&Config{Mode: "pasta", Args: []string{"--map-gw", "-t", "8080", "-U", "53"}}), " ")
	if want := "--config-net --foreground --quiet -t 8080 -U 53 -u none -T none"; got != want {
		t.Errorf("pastaArgs(with options) = %q, want %q", got, want)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 48}
	b.Write([]byte("first line\nFailed to send 3 bytes to syslog\n"))
	b.Write([]byte("Couldn't open it\nFailed to send 9 bytes\n"))
	if got := b.lastLine(); got != "Couldn't open it" {
		t.Errorf("lastLine() = %q", got)
	}
	if len(b.b) > 48 {
		t.Errorf("kept %d bytes", len(b.b))
	}
}
