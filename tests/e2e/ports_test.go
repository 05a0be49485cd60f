package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freePort is a TCP port free on all the host's addresses right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freeUDPPort is a UDP port free on the host at the time of the call.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	l, err := net.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.LocalAddr().(*net.UDPAddr).Port
}

// hostPortFree reports whether the host port can be bound again: the
// forwarder's listener is gone.
func hostPortFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

var portClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func fetch(port int) (string, error) {
	resp, err := portClient.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// waitFetch waits until the host port serves body.
func waitFetch(t *testing.T, port int, body string) {
	t.Helper()
	var last string
	var lastErr error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		last, lastErr = fetch(port)
		if lastErr == nil && last == body {
			return
		}
	}
	t.Fatalf("GET 127.0.0.1:%d: %q, %v; want %q", port, last, lastErr, body)
}

// httpd serves body on port 8080 inside the container with busybox httpd.
func httpd(body string) []string {
	return []string{"sh", "-c", "mkdir -p /www && echo " + body + " > /www/index.html && exec httpd -f -p 8080 -h /www"}
}

func TestPublishHTTP(t *testing.T) {
	port := freePort(t)
	name := "pub-http"
	ok(t, baseEnv, append([]string{"run", "-d", "--name", name, "-p", fmt.Sprintf("%d:8080", port), "busybox"}, httpd("published")...)...)
	defer run(baseEnv, nil, "rm", "-f", "-t", "0", name)
	waitFetch(t, port, "published\n")

	if out := ok(t, baseEnv, "port", name); out != fmt.Sprintf("8080/tcp -> 0.0.0.0:%d\n", port) {
		t.Errorf("rpod port: %q", out)
	}
	if out := ok(t, baseEnv, "container", "port", name, "8080/tcp"); out != fmt.Sprintf("0.0.0.0:%d\n", port) {
		t.Errorf("rpod container port 8080/tcp: %q", out)
	}
	wantError(t, run(baseEnv, nil, "port", name, "9090"), 125, `failed to find published port "9090"`)
	wantError(t, run(baseEnv, nil, "port", name, "80/sctp"), 125, "invalid port")

	ok(t, baseEnv, "stop", "-t", "1", name)
	waitUntil(t, "the host port to be free after rpod stop", func() bool { return hostPortFree(port) })
	if out := ok(t, baseEnv, "port", name); out != "" {
		t.Errorf("rpod port of a stopped container: %q, want nothing", out)
	}
	// The same port again at the next start.
	ok(t, baseEnv, "start", name)
	waitFetch(t, port, "published\n")
}

// Every installed backend forwards -p through rpod's forwarder.
func TestPublishBackends(t *testing.T) {
	for _, nb := range netBackends {
		b := nb.name
		t.Run(b, func(t *testing.T) {
			nb.skipUnlessInstalled(t)
			port := freePort(t)
			name := "pub-" + b
			ok(t, baseEnv, append([]string{"run", "-d", "--name", name, "--network", b, "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), "busybox"}, httpd("via-"+b)...)...)
			defer run(baseEnv, nil, "rm", "-f", "-t", "0", name)
			waitFetch(t, port, "via-"+b+"\n")
			if out := ok(t, baseEnv, "port", name, "8080"); out != fmt.Sprintf("127.0.0.1:%d\n", port) {
				t.Errorf("rpod port: %q", out)
			}
			ok(t, baseEnv, "rm", "-f", "-t", "0", name)
			waitUntil(t, "the host port to be free after rm -f", func() bool { return hostPortFree(port) })
		})
	}
}

func TestPublishTwoContainers(t *testing.T) {
	p1, p2 := freePort(t), freePort(t)
	for i, p := range []int{p1, p2} {
		name := fmt.Sprintf("pub-two-%d", i)
		ok(t, baseEnv, append([]string{"run", "-d", "--name", name, "-p", fmt.Sprintf("%d:8080", p), "busybox"}, httpd(name)...)...)
		defer run(baseEnv, nil, "rm", "-f", "-t", "0", name)
	}
	waitFetch(t, p1, "pub-two-0\n")
	waitFetch(t, p2, "pub-two-1\n")
	// Interleaved, many times: each port reaches its own container.
	for i := range 20 {
		p, want := p1, "pub-two-0\n"
		if i%2 == 1 {
			p, want = p2, "pub-two-1\n"
		}
		if got, err := fetch(p); err != nil || got != want {
			t.Fatalf("GET :%d: %q, %v; want %q", p, got, err, want)
		}
	}
	out := ok(t, baseEnv, "port", "--all")
	for _, want := range []string{fmt.Sprintf("\t8080/tcp -> 0.0.0.0:%d\n", p1), fmt.Sprintf("\t8080/tcp -> 0.0.0.0:%d\n", p2)} {
		if !strings.Contains(out, want) {
			t.Errorf("rpod port --all lacks %q:\n%s", want, out)
		}
	}
}

var portLine = regexp.MustCompile(`^8080/tcp -> 0\.0\.0\.0:(\d+)\n$`)

// -P publishes the image's EXPOSE ports to random host ports, and a -p
// with no host port gets one too: rpod port shows them.
func TestPublishRandom(t *testing.T) {
	ok(t, baseEnv, "create", "--name", "expose-base", "busybox", "true")
	defer run(baseEnv, nil, "rm", "-f", "expose-base")
	ok(t, baseEnv, "commit", "--change", "EXPOSE 8080", "expose-base", "exposed")
	defer run(baseEnv, nil, "rmi", "-f", "exposed")

	for _, tc := range []struct{ name, flag string }{{"pub-all", "-P"}, {"pub-random", "-p=8080"}} {
		t.Run(tc.flag, func(t *testing.T) {
			ok(t, baseEnv, append([]string{"run", "-d", "--name", tc.name, tc.flag, "exposed"}, httpd(tc.name)...)...)
			defer run(baseEnv, nil, "rm", "-f", "-t", "0", tc.name)
			out := ok(t, baseEnv, "port", tc.name)
			m := portLine.FindStringSubmatch(out)
			port := 0
			if m != nil {
				port, _ = strconv.Atoi(m[1])
			}
			if port == 0 {
				t.Fatalf("rpod port %s: %q, want 8080/tcp -> 0.0.0.0:PORT, the port chosen at start (recorded after the network is attached)", tc.name, out)
			}
			waitFetch(t, port, tc.name+"\n")
			if out := ok(t, baseEnv, "port", "-l", "8080"); out != fmt.Sprintf("0.0.0.0:%d\n", port) {
				t.Errorf("rpod port -l 8080: %q", out)
			}
			if out := ok(t, baseEnv, "ps", "--filter", "name="+tc.name, "--format", "{{.Ports}}"); out != fmt.Sprintf("0.0.0.0:%d->8080/tcp\n", port) {
				t.Errorf("ps PORTS: %q", out)
			}
			var js []struct {
				Ports []struct {
					HostPort      int `json:"host_port"`
					ContainerPort int `json:"container_port"`
				}
			}
			if err := json.Unmarshal([]byte(ok(t, baseEnv, "ps", "--filter", "name="+tc.name, "--format", "json")), &js); err != nil ||
				len(js) != 1 || len(js[0].Ports) != 1 || js[0].Ports[0].HostPort != port || js[0].Ports[0].ContainerPort != 8080 {
				t.Errorf("ps json ports: %+v %v", js, err)
			}
			// As podman's inspect shows it, for scripts.
			f := `{{(index (index .NetworkSettings.Ports "8080/tcp") 0).HostPort}} {{.HostConfig.NetworkMode}} {{.NetworkSettings.IPAddress}}`
			if out := ok(t, baseEnv, "inspect", "--format", f, tc.name); out != fmt.Sprintf("%d embedded 10.0.2.100\n", port) {
				t.Errorf("inspect ports: %q", out)
			}
		})
	}
}

// udpEcho builds a static UDP echo server for the container (busybox's nc
// has no UDP), or skips.
func udpEcho(t *testing.T) string {
	t.Helper()
	return buildStatic(t, "udpecho", `package main

import ("net"; "os")

func main() {
	pc, err := net.ListenPacket("udp", ":"+os.Args[1])
	if err != nil { panic(err) }
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil { panic(err) }
		pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
	}
}
`)
}

// buildStatic builds prog, a one-file Go program, into a static binary a
// container can run from a bind mount, or skips without a Go toolchain.
func buildStatic(t *testing.T, name, prog string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if _, err := os.Stat("/usr/local/go/bin/go"); err != nil {
			t.Skipf("no go toolchain to build %s", name)
		}
		goBin = "/usr/local/go/bin/go"
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	build := exec.Command(goBin, "build", "-o", bin, "main.go")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GO111MODULE=off")
	if os.Getenv("HOME") == "" {
		build.Env = append(build.Env, "HOME="+dir)
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

// Every backend forwards UDP through -p, one flow per client.
func TestPublishUDP(t *testing.T) {
	echo := udpEcho(t)
	for _, b := range netBackends {
		t.Run(b.name, func(t *testing.T) {
			b.skipUnlessInstalled(t)
			port := freeUDPPort(t)
			name := "pub-udp-" + b.name
			ok(t, baseEnv, "run", "-d", "--name", name, "--network", b.name, "-v", echo+":/udpecho:ro",
				"-p", fmt.Sprintf("%d:5353/udp", port), "busybox", "/udpecho", "5353")
			defer run(baseEnv, nil, "rm", "-f", "-t", "0", name)
			if out := ok(t, baseEnv, "port", name, "5353/udp"); out != fmt.Sprintf("0.0.0.0:%d\n", port) {
				t.Errorf("rpod port 5353/udp: %q", out)
			}
			// Two clients: each gets its own answers.
			for i := range 2 {
				c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				msg := fmt.Sprintf("datagram %d", i)
				want := "echo " + msg
				var got string
				waitUntil(t, "a UDP echo through -p", func() bool {
					c.Write([]byte(msg))
					c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
					buf := make([]byte, 1024)
					n, err := c.Read(buf)
					got = string(buf[:max(n, 0)])
					return err == nil && got == want
				})
			}
			ok(t, baseEnv, "rm", "-f", "-t", "0", name)
			waitUntil(t, "the UDP host port to be free", func() bool {
				l, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port))
				if err != nil {
					return false
				}
				l.Close()
				return true
			})
		})
	}
}

func TestPublishErrors(t *testing.T) {
	busy, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bp := busy.Addr().(*net.TCPAddr).Port
	for _, mode := range []string{"--rm", "-d"} {
		r := run(baseEnv, nil, "run", mode, "--name", "pub-busy", "-p", fmt.Sprintf("%d:80", bp), "busybox", "sleep", "100")
		wantError(t, r, 125, fmt.Sprintf("host port %d is already in use", bp))
		t.Logf("run %s, port in use: %s", mode, strings.TrimSpace(r.Err))
		run(baseEnv, nil, "rm", "-f", "-t", "0", "pub-busy")
	}

	if start := unprivilegedStart(t); start > 80 {
		for _, mode := range []string{"--rm", "-d"} {
			r := run(baseEnv, nil, "run", mode, "--name", "pub-low", "-p", "80:8080", "busybox", "sleep", "100")
			wantError(t, r, 125, "sysctl net.ipv4.ip_unprivileged_port_start=80")
			t.Logf("run %s, low port: %s", mode, strings.TrimSpace(r.Err))
			run(baseEnv, nil, "rm", "-f", "-t", "0", "pub-low")
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "8000-8010:80"}, "host and container port ranges have different lengths: 11 vs 1"},
		{[]string{"-p", "8080:80", "-p", "8080:81"}, "conflicting port mappings for host port 8080"},
		{[]string{"-p", "::1:8080:80"}, "in brackets"},
		{[]string{"-p", "8080:80/sctp"}, "sctp"},
		{[]string{"-p", "70000"}, "not a port number"},
	} {
		r := run(baseEnv, nil, append(append([]string{"run", "--rm"}, tc.args...), "busybox", "true")...)
		wantError(t, r, 125, tc.want)
	}
	for _, mode := range []string{"none", "host"} {
		r := run(baseEnv, nil, "run", "--rm", "--network", mode, "-p", "8080:80", "busybox", "true")
		if r.Code != 0 || !strings.Contains(r.Err, "WARNING: port mappings have been discarded") {
			t.Errorf("-p with --network %s: exit %d, stderr %q; want 0 and a warning", mode, r.Code, r.Err)
		}
	}
	wantError(t, run(baseEnv, nil, "port"), 125, "you must supply a running container name or id")
	wantError(t, run(baseEnv, nil, "port", "-a", "-l"), 125, "cannot be used together")
	wantError(t, run(baseEnv, nil, "port", "-a", "x"), 125, "give no container")
}

// TestPublishCommandNotFound: the network is attached while the init step
// sets up the container; a command that is not found ends the step while
// ports may still be published in its netns, and the step's reason (127)
// is what rpod says, not the vanished netns.
func TestPublishCommandNotFound(t *testing.T) {
	port := freePort(t)
	for i := 0; i < 5; i++ {
		r := run(baseEnv, nil, "run", "--rm", "-p", fmt.Sprintf("%d:80", port), "busybox", "nonexistent")
		wantError(t, r, 127, `exec "nonexistent": executable file not found`)
	}
}

func unprivilegedStart(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Skip(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// A foreground run publishes while it runs, and frees the port when the
// container stops; a killed monitor leaves no listener.
func TestPublishForegroundAndCrash(t *testing.T) {
	port := freePort(t)
	name := "pub-fg"
	cmd := exec.Command(rpodBin, append([]string{"run", "--name", name, "-p", fmt.Sprintf("%d:8080", port), "busybox"}, httpd("foreground")...)...)
	cmd.Env = baseEnv
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		run(baseEnv, nil, "rm", "-f", "-t", "0", name)
		cmd.Process.Kill()
	}()
	waitFetch(t, port, "foreground\n")
	if out := ok(t, baseEnv, "port", name); out != fmt.Sprintf("8080/tcp -> 0.0.0.0:%d\n", port) {
		t.Errorf("rpod port of a foreground container: %q", out)
	}
	ok(t, baseEnv, "stop", "-t", "1", name)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the foreground rpod did not exit after rpod stop")
	}
	if !hostPortFree(port) {
		t.Error("the host port is still bound after the foreground run ended")
	}

	// The listeners live in the monitor: killing it frees the port.
	port = freePort(t)
	name = "pub-crash"
	ok(t, baseEnv, append([]string{"run", "-d", "--name", name, "-p", fmt.Sprintf("%d:8080", port), "busybox"}, httpd("crash")...)...)
	defer run(baseEnv, nil, "rm", "-f", "-t", "0", name)
	waitFetch(t, port, "crash\n")
	monitor, err := strconv.Atoi(strings.TrimSpace(ok(t, baseEnv, "inspect", "--format", "{{.State.ConmonPid}}", name)))
	if err != nil || monitor <= 0 {
		t.Fatalf("monitor pid: %v", err)
	}
	if err := syscall.Kill(monitor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the host port to be free after the monitor was killed", func() bool { return hostPortFree(port) })
}
