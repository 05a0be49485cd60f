package netslirp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAddHost(t *testing.T) {
	for _, c := range []struct{ in, host, ip, err string }{
		{in: "db:10.1.2.3", host: "db", ip: "10.1.2.3"},
		{in: "db=10.1.2.3", host: "db", ip: "10.1.2.3"},
		{in: "v6:fd00::1", host: "v6", ip: "fd00::1"},
		{in: "v6:[fd00::1]", host: "v6", ip: "fd00::1"},
		{in: "nocolon", err: "use HOST:IP"},
		{in: ":1.2.3.4", err: "use HOST:IP"},
		{in: "h:999.1.1.1", err: "not an IP address"},
		{in: "h:host-gateway", err: "host-gateway"},
		{in: "a b:1.2.3.4", err: "bad host name"},
	} {
		host, ip, err := ParseAddHost(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseAddHost(%q) = %v, want error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || host != c.host || ip != c.ip {
			t.Errorf("ParseAddHost(%q) = %q, %q, %v", c.in, host, ip, err)
		}
	}
}

func FuzzParseAddHost(f *testing.F) {
	for _, s := range []string{"db:10.1.2.3", "v6:fd00::1", "x", "a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, ip, err := ParseAddHost(s)
		if err != nil {
			return
		}
		// An accepted entry is one hosts line.
		if host == "" || ip == "" || strings.ContainsAny(host+ip, " \t\n#") {
			t.Fatalf("ParseAddHost(%q) = %q, %q", s, host, ip)
		}
	})
}

func withHostFiles(t *testing.T, resolv string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "resolv.conf")
	os.WriteFile(p, []byte(resolv), 0o644)
	h := filepath.Join(dir, "hosts")
	os.WriteFile(h, []byte("127.0.0.1 localhost\n10.9.9.9 hostbox\n"), 0o644)
	oldR, oldH := hostResolvConf, hostHostsFile
	hostResolvConf, hostHostsFile = p, h
	t.Cleanup(func() { hostResolvConf, hostHostsFile = oldR, oldH })
}

func TestResolvConf(t *testing.T) {
	withHostFiles(t, "# comment\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\nsearch corp.example\noptions edns0\n")
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Mode: "slirp4netns"}, "search corp.example\nnameserver 10.0.2.3\noptions edns0\n"},
		{Config{Mode: "slirp4netns", Options: map[string]string{"cidr": "10.7.0.0/24"}}, "search corp.example\nnameserver 10.7.0.3\noptions edns0\n"},
		{Config{Mode: "embedded"}, "search corp.example\nnameserver " + EmbeddedDNS + "\noptions edns0\n"},
		{Config{Mode: "pasta"}, "search corp.example\nnameserver 10.255.255.53\noptions edns0\n"},
		{Config{Mode: "host"}, "search corp.example\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\noptions edns0\n"},
		{Config{Mode: "slirp4netns", DNS: []string{"1.1.1.1"}, DNSSearch: []string{"a.example", "b.example"}, DNSOptions: []string{"ndots:2"}},
			"search a.example b.example\nnameserver 1.1.1.1\noptions ndots:2\n"},
		{Config{Mode: "none", DNSSearch: []string{"."}}, "nameserver 10.255.255.53\noptions edns0\n"},
	} {
		if got := string(resolvConf(&c.cfg)); got != c.want {
			t.Errorf("resolvConf(%+v) =\n%s\nwant\n%s", c.cfg, got, c.want)
		}
	}
	withHostFiles(t, "nameserver 127.0.0.53\n")
	if got := string(resolvConf(&Config{Mode: "pasta"})); got != "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Errorf("pasta with a local resolver only: %q", got)
	}
}

func TestHostsFile(t *testing.T) {
	withHostFiles(t, "")
	b, err := hostsFile(&Config{Mode: "slirp4netns", Options: map[string]string{"allow_host_loopback": "true"}, AddHosts: []string{"db:10.1.2.3"}}, "web", "abc123")
	if err != nil {
		t.Fatal(err)
	}
	want := "10.1.2.3\tdb\n127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n" +
		"::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n10.0.2.100\tabc123 web\n10.0.2.2\thost.containers.internal\n"
	if string(b) != want {
		t.Errorf("hostsFile =\n%s\nwant\n%s", b, want)
	}
	b, _ = hostsFile(&Config{Mode: "none"}, "web", "web")
	if !strings.Contains(string(b), "127.0.1.1\tweb\n") || strings.Contains(string(b), "host.containers.internal") {
		t.Errorf("none:\n%s", b)
	}
	b, _ = hostsFile(&Config{Mode: "host"}, "web", "vm")
	if !strings.HasPrefix(string(b), "127.0.0.1 localhost\n10.9.9.9 hostbox\n") || strings.Contains(string(b), "127.0.1.1") {
		t.Errorf("host:\n%s", b)
	}
	if _, err := hostsFile(&Config{AddHosts: []string{"bad"}}, "a", "b"); err == nil {
		t.Error("a bad --add-host was written")
	}
}

func TestWriteEtcFiles(t *testing.T) {
	withHostFiles(t, "nameserver 10.0.0.1\n")
	dir := t.TempDir()
	cfg := &Config{Mode: "none", NoHosts: true, DNS: []string{"none"}}
	if got := cfg.EtcFiles(); len(got) != 1 || got[0] != EtcHostname {
		t.Errorf("EtcFiles() = %v", got)
	}
	if err := WriteEtcFiles(dir, cfg, "n", "h"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "hostname")); string(b) != "h\n" {
		t.Errorf("hostname %q", b)
	}
	for _, f := range []string{"hosts", "resolv.conf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s written", f)
		}
	}
	cfg = &Config{Mode: "slirp4netns"}
	if len(cfg.EtcFiles()) != 3 {
		t.Errorf("EtcFiles() = %v", cfg.EtcFiles())
	}
	if err := WriteEtcFiles(dir, cfg, "n", "h"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "resolv.conf")); string(b) != "nameserver 10.0.2.3\n" {
		t.Errorf("resolv.conf %q", b)
	}
}
