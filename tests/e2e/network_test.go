package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hostServer serves body over HTTP on the host's loopback, as a service a
// container may reach only with host loopback allowed.
func hostServer(t *testing.T, body string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// netBackend is one backend and how its options allow the host's loopback.
type netBackend struct {
	name, loopback string
	ip             string // the container's address, "" for the host's
	helper         bool   // runs as a process of its own beside the monitor
}

// netBackends is every backend the suite runs: the external ones when
// installed (available says).
var netBackends = []netBackend{
	{"embedded", "embedded:allow_host_loopback=true", "10.0.2.100", false},
	{"slirp4netns", "slirp4netns:allow_host_loopback=true", "10.0.2.100", true},
	{"pasta", "pasta:--map-gw", "", true},
}

// skipUnlessInstalled skips a backend whose helper is not on PATH.
func (b netBackend) skipUnlessInstalled(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(b.name); b.helper && err != nil {
		t.Skipf("%s is not installed", b.name)
	}
}

// helpers is how many helper processes the monitor has for b.
func (b netBackend) helpers() int {
	if b.helper {
		return 1
	}
	return 0
}

// hostNameservers are the host's resolvers a container with its own
// network can reach.
func hostNameservers(t *testing.T) []string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "nameserver" && !strings.HasPrefix(f[1], "127.") && f[1] != "::1" {
			out = append(out, f[1])
		}
	}
	return out
}

func TestNetworkBackends(t *testing.T) {
	port := hostServer(t, "hello from the host")
	// busybox-static cannot resolve names (its glibc finds no NSS module in
	// the image): look the name up in /etc/hosts as the resolver would.
	url := fmt.Sprintf("http://$(%s):%d/", lookup("host.containers.internal"), port)
	for _, b := range netBackends {
		t.Run(b.name, func(t *testing.T) {
			b.skipUnlessInstalled(t)
			name := "net-" + b.name
			out := ok(t, baseEnv, "run", "--rm", "--name", name, "--hostname", "box", "--network", b.loopback, "busybox",
				"sh", "-c", "timeout 10 wget -q -O - "+url+" 2>&1; echo; cat /etc/hosts /etc/resolv.conf /etc/hostname; ip route")
			if !strings.HasPrefix(out, "hello from the host\n") {
				t.Errorf("wget of the host's loopback through host.containers.internal:\n%s", out)
			}
			if !strings.Contains(out, "default via") {
				t.Errorf("no default route:\n%s", out)
			}
			if !strings.Contains(out, "\tbox "+name+"\n") || !strings.Contains(out, "\thost.containers.internal\n") || !strings.Contains(out, "127.0.0.1\tlocalhost") {
				t.Errorf("/etc/hosts lacks the container's names or host.containers.internal:\n%s", out)
			}
			if b.ip != "" && !strings.Contains(out, b.ip+"\tbox "+name) {
				t.Errorf("/etc/hosts does not give the container's address %s:\n%s", b.ip, out)
			}
			if !strings.Contains(out, "\nbox\n") {
				t.Errorf("/etc/hostname:\n%s", out)
			}
			switch b.name {
			case "slirp4netns", "embedded":
				if !strings.Contains(out, "nameserver 10.0.2.3\n") {
					t.Errorf("resolv.conf does not name the stack's DNS at 10.0.2.3:\n%s", out)
				}
			default:
				for _, ns := range hostNameservers(t) {
					if !strings.Contains(out, "nameserver "+ns+"\n") {
						t.Errorf("resolv.conf lacks the host's nameserver %s:\n%s", ns, out)
					}
				}
			}

			// Without loopback allowed (podman's default) the host's
			// loopback is out of reach.
			r := run(baseEnv, nil, "run", "--rm", "--network", b.name, "busybox", "sh", "-c", "timeout 5 wget -q -O - "+url)
			if r.Code == 0 || strings.Contains(r.Out, "hello") {
				t.Errorf("the host's loopback is reachable without allowing it: %d %q", r.Code, r.Out)
			}

			// A name given with --add-host resolves, and reaches the host.
			host := strings.TrimSpace(ok(t, baseEnv, "run", "--rm", "--network", b.loopback, "busybox", "sh", "-c",
				"awk '$2 == \"host.containers.internal\" {print $1}' /etc/hosts"))
			out = ok(t, baseEnv, "run", "--rm", "--network", b.loopback, "--add-host", "myhost.test:"+host, "busybox",
				"sh", "-c", fmt.Sprintf("timeout 10 wget -q -O - http://$(%s):%d/", lookup("myhost.test"), port))
			if out != "hello from the host" {
				t.Errorf("wget through an --add-host name: %q", out)
			}
		})
	}
}

// lookup is a shell command that prints the address /etc/hosts gives name.
func lookup(name string) string {
	return fmt.Sprintf(`awk '$2 == "%s" {print $1; exit}' /etc/hosts`, name)
}

// helpersOf lists the network helpers (slirp4netns, pasta) whose parent is ppid.
func helpersOf(ppid int) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		comm := s[strings.IndexByte(s, '(')+1 : i]
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) && (comm == "slirp4netns" || strings.HasPrefix(comm, "pasta") || strings.HasPrefix(comm, "passt")) {
			out = append(out, comm+" "+e.Name())
		}
	}
	return out
}

func parentOf(t *testing.T, pid string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// A detached container keeps its network through exec and a restart, and
// the helper stops with it.
func TestNetworkDetached(t *testing.T) {
	port := hostServer(t, "detached")
	env := newWorld(t)
	for _, b := range netBackends {
		t.Run(b.name, func(t *testing.T) {
			b.skipUnlessInstalled(t)
			name := "det-" + b.name
			ok(t, env, "run", "-d", "--name", name, "--network", b.loopback, "busybox", "sleep", "1000")
			url := fmt.Sprintf("http://$(%s):%d/", lookup("host.containers.internal"), port)
			if out := ok(t, env, "exec", name, "sh", "-c", "timeout 10 wget -q -O - "+url); out != "detached" {
				t.Errorf("wget from exec: %q", out)
			}
			pid := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Pid}}", name))
			monitor := parentOf(t, pid)
			if h := helpersOf(monitor); len(h) != b.helpers() {
				t.Errorf("helpers of the monitor: %v, want %d", h, b.helpers())
			}
			ok(t, env, "restart", "-t", "0", name)
			if out := ok(t, env, "exec", name, "sh", "-c", "timeout 10 wget -q -O - "+url); out != "detached" {
				t.Errorf("wget after a restart: %q", out)
			}
			pid = strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Pid}}", name))
			monitor = parentOf(t, pid)
			if h := helpersOf(monitor); len(h) != b.helpers() {
				t.Errorf("helpers of the monitor after a restart: %v, want %d", h, b.helpers())
			}
			ok(t, env, "rm", "-f", "-t", "0", name)
			waitUntil(t, "the helper to stop with the container", func() bool { return len(helpersOf(monitor)) == 0 })
		})
	}
}

func TestNetworkNone(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--network", "none", "--name", "lonely", "busybox", "sh", "-c",
		"cat /proc/net/route; echo --; ls /sys/class/net; echo --; cat /etc/hosts")
	parts := strings.Split(out, "--\n")
	if len(parts) != 3 {
		t.Fatalf("output:\n%s", out)
	}
	if lines := strings.Split(strings.TrimSpace(parts[0]), "\n"); len(lines) != 1 {
		t.Errorf("--network none has routes:\n%s", parts[0])
	}
	if strings.TrimSpace(parts[1]) != "lo" {
		t.Errorf("--network none has interfaces: %q", parts[1])
	}
	if !strings.Contains(parts[2], "lonely") || strings.Contains(parts[2], "host.containers.internal") {
		t.Errorf("/etc/hosts with --network none:\n%s", parts[2])
	}
	// --net is podman's alias.
	if out := ok(t, baseEnv, "run", "--rm", "--net", "none", "busybox", "ls", "/sys/class/net"); strings.TrimSpace(out) != "lo" {
		t.Errorf("--net none: %q", out)
	}
}

func TestNetworkHost(t *testing.T) {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	port := hostServer(t, "host network")
	out := ok(t, baseEnv, "run", "--rm", "--network", "host", "busybox", "sh", "-c",
		fmt.Sprintf("ip -o link; timeout 10 wget -q -O - http://127.0.0.1:%d/ 2>&1; echo; hostname", port))
	for _, i := range ifs {
		if !strings.Contains(out, ": "+i.Name+":") {
			t.Errorf("--network host does not see the host's %s:\n%s", i.Name, out)
		}
	}
	if !strings.Contains(out, "host network\n") {
		t.Errorf("--network host does not reach the host's loopback:\n%s", out)
	}
	if h, _ := os.Hostname(); !strings.HasSuffix(out, "\n"+h+"\n") {
		t.Errorf("--network host: hostname is not the host's %q:\n%s", h, out)
	}
}

func TestNetworkContainer(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "-d", "--name", "srv", "--network", "none", "busybox", "sh", "-c",
		"mkdir /www && echo shared > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www")
	out := ok(t, env, "run", "--rm", "--network", "container:srv", "busybox", "sh", "-c",
		"for i in $(seq 100); do wget -q -O - http://127.0.0.1:8080/ && exit 0; sleep 0.2; done; exit 1")
	if out != "shared\n" {
		t.Errorf("wget of a server in the shared netns: %q", out)
	}
	ok(t, env, "stop", "-t", "0", "srv")
	wantError(t, run(env, nil, "run", "--rm", "--network", "container:srv", "busybox", "true"), 125, "not running")
	wantError(t, run(env, nil, "run", "--rm", "--network", "container:nosuch", "busybox", "true"), 125, "nosuch")
}

func TestNetworkEtcFlags(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--network", "none", "--dns", "192.0.2.53", "--dns", "192.0.2.54",
		"--dns-search", "example.com", "--dns-option", "ndots:2", "--add-host", "a.test:10.1.2.3", "--add-host", "b.test:fd00::1",
		"busybox", "sh", "-c", "cat /etc/resolv.conf /etc/hosts")
	for _, want := range []string{"search example.com\n", "nameserver 192.0.2.53\nnameserver 192.0.2.54\n", "options ndots:2\n",
		"10.1.2.3\ta.test\n", "fd00::1\tb.test\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// --no-hosts leaves the image's /etc/hosts (busybox has none).
	out = ok(t, baseEnv, "run", "--rm", "--network", "none", "--no-hosts", "--name", "nohosts", "busybox", "sh", "-c", "cat /etc/hosts 2>&1; true")
	if strings.Contains(out, "nohosts") || strings.Contains(out, "localhost") {
		t.Errorf("--no-hosts wrote /etc/hosts:\n%s", out)
	}
	// The files follow the image's symlinks inside the root, and --read-only.
	out = ok(t, baseEnv, "run", "--rm", "--read-only", "--network", "none", "--hostname", "ro", "busybox", "cat", "/etc/hostname", "/etc/hosts")
	if !strings.HasPrefix(out, "ro\n") || !strings.Contains(out, "127.0.1.1\tro") {
		t.Errorf("--read-only: %q", out)
	}
	// A user's volume on /etc/hosts wins.
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "hosts"), []byte("1.2.3.4 mine\n"), 0o644)
	out = ok(t, baseEnv, "run", "--rm", "--network", "none", "-v", filepath.Join(dir, "hosts")+":/etc/hosts", "busybox", "cat", "/etc/hosts")
	if out != "1.2.3.4 mine\n" {
		t.Errorf("-v on /etc/hosts: %q", out)
	}
	// --dns none: the image's resolv.conf (none in busybox).
	if r := run(baseEnv, nil, "run", "--rm", "--network", "none", "--dns", "none", "busybox", "cat", "/etc/resolv.conf"); r.Code == 0 && r.Out != "" {
		t.Errorf("--dns none wrote resolv.conf: %q", r.Out)
	}
}

func TestNetworkErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--network", "bogus"}, `unknown --network mode "bogus"`},
		{[]string{"--network", "bridge"}, "no bridge networks"},
		{[]string{"--network", "slirp4netns:nope=1"}, `unknown slirp4netns option "nope"`},
		{[]string{"--network", "slirp4netns:mtu=big"}, "mtu must be a number"},
		{[]string{"--network", "slirp4netns:port_handler=slirp4netns"}, "port_handler=slirp4netns is not supported"},
		{[]string{"--network", "embedded:mtu=1500"}, `unknown embedded option "mtu"`},
		{[]string{"--network", "none:x"}, "none takes no options"},
		{[]string{"--network", "ns:relative"}, "absolute path"},
		{[]string{"--network", "ns:/nonexistent/net"}, "join network namespace /nonexistent/net"},
		{[]string{"--network", "container:"}, "name the container"},
		{[]string{"--dns", "not-an-ip"}, `invalid --dns "not-an-ip"`},
		{[]string{"--add-host", "nocolon"}, `invalid --add-host "nocolon"`},
		{[]string{"--add-host", "h:999.1.1.1"}, "is not an IP address"},
		{[]string{"--network", "host", "--dns", "1.1.1.1", "--network", "container:x"}, "conflicting options"},
	} {
		args := append(append([]string{"run", "--rm"}, c.args...), "busybox", "true")
		wantError(t, rpod(t, args...), 125, c.want)
	}
	// A helper that is not installed is named with its package.
	noHelpers := withEnv(baseEnv, "PATH=/nonexistent")
	wantError(t, run(noHelpers, nil, "run", "--rm", "--network", "pasta", "busybox", "true"), 125, "apt install passt")
	wantError(t, run(noHelpers, nil, "run", "--rm", "--network", "slirp4netns", "busybox", "true"), 125, "apt install slirp4netns")
}

// As podman's default_sysctls: ICMP datagram sockets for the container's
// users in a network namespace of its own, unless the user says otherwise.
func TestNetworkPingGroupRange(t *testing.T) {
	if out := ok(t, baseEnv, "run", "--rm", "busybox", "cat", "/proc/sys/net/ipv4/ping_group_range"); strings.Join(strings.Fields(out), " ") != "0 0" {
		t.Errorf("default ping_group_range: %q", out)
	}
	// "1 0" (nobody) reads back as the overflow gid pair in a user namespace.
	out := ok(t, baseEnv, "run", "--rm", "--sysctl", "net.ipv4.ping_group_range=1 0", "busybox", "cat", "/proc/sys/net/ipv4/ping_group_range")
	if strings.Join(strings.Fields(out), " ") == "0 0" {
		t.Errorf("--sysctl ping_group_range=1 0 was overridden: %q", out)
	}
	// The host's, read from rpod's user namespace as the container would.
	host := ok(t, baseEnv, "unshare", "cat", "/proc/sys/net/ipv4/ping_group_range")
	if out := ok(t, baseEnv, "run", "--rm", "--network", "host", "busybox", "cat", "/proc/sys/net/ipv4/ping_group_range"); out != host {
		t.Errorf("--network host: ping_group_range %q, the host's %q", out, host)
	}
}
