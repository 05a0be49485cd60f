package e2e

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
)

// embTFTP serves body as any file over TFTP (UDP) on the host's loopback,
// answering from its own port: busybox has tftp but no nc -u.
func embTFTP(t *testing.T, body string) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			k, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if k >= 2 && binary.BigEndian.Uint16(buf) == 1 { // RRQ: the whole file in block 1
				c.WriteTo(append([]byte{0, 3, 0, 1}, body...), from)
			}
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func TestEmbeddedNetwork(t *testing.T) {
	port := hostServer(t, "hello from the host")
	udpPort := embTFTP(t, "hello over udp")
	host, _ := os.Hostname()
	hostAddrs, err := net.LookupHost(host)
	if err != nil || len(hostAddrs) == 0 {
		t.Fatalf("the host does not resolve its own name %s: %v", host, err)
	}
	script := fmt.Sprintf(`timeout 10 wget -q -O - http://host.containers.internal:%d/; echo
tftp -g -r f -l - host.containers.internal %d; echo
nslookup host.containers.internal 10.0.2.3
nslookup %s 10.0.2.3
ping -c 1 -W 5 10.0.2.2 2>&1
ip route; ip addr show tap0; cat /etc/resolv.conf`, port, udpPort, host)
	// busybox's ping needs a raw socket: it has no ICMP datagram sockets.
	out := ok(t, baseEnv, "run", "--rm", "--network", "embedded:allow_host_loopback=true",
		"--cap-add", "NET_RAW", "busybox", "sh", "-c", script)
	for _, want := range []string{
		"hello from the host\n",
		"hello over udp\n",
		"Address: 10.0.2.2\n",             // host.containers.internal from the stack's DNS
		"Address: " + hostAddrs[0] + "\n", // the host's name from the host's resolver
		"default via 10.0.2.2 dev tap0",
		"mtu 65520",
		"inet 10.0.2.100/24",
		"nameserver 10.0.2.3",
		"1 packets received", // the gateway answers ping; the outside only with ping_group_range
	} {
		if !strings.Contains(out, want) {
			t.Errorf("embedded network: no %q in:\n%s", want, out)
		}
	}
}

func TestEmbeddedNoHostLoopback(t *testing.T) {
	port := hostServer(t, "hello from the host")
	r := run(baseEnv, nil, "run", "--rm", "--network", "embedded", "busybox",
		"timeout", "10", "wget", "-q", "-O", "-", fmt.Sprintf("http://host.containers.internal:%d/", port))
	if r.Code == 0 || strings.Contains(r.Out, "hello") {
		t.Errorf("the host's loopback is reachable without allow_host_loopback: exit %d\n%s%s", r.Code, r.Out, r.Err)
	}
	if !strings.Contains(r.Err, "refused") {
		t.Errorf("want the connection refused, got exit %d:\n%s%s", r.Code, r.Out, r.Err)
	}
}

func TestEmbeddedTwoContainers(t *testing.T) {
	port := hostServer(t, "shared")
	name := func(i int) string { return fmt.Sprintf("emb-two-%d", i) }
	for i := 0; i < 2; i++ {
		ok(t, baseEnv, "run", "-d", "--name", name(i), "--network", "embedded:allow_host_loopback=true", "busybox", "sleep", "600")
		defer run(baseEnv, nil, "rm", "-f", "-t", "0", name(i))
	}
	url := fmt.Sprintf("http://host.containers.internal:%d/", port)
	for i := 0; i < 2; i++ {
		out := ok(t, baseEnv, "exec", name(i), "sh", "-c", "timeout 10 wget -q -O - "+url+"; echo; ip addr show tap0")
		if !strings.HasPrefix(out, "shared\n") || !strings.Contains(out, "inet 10.0.2.100/24") {
			t.Errorf("container %d:\n%s", i, out)
		}
	}
	// One container's stack stops with it; the other's keeps working.
	ok(t, baseEnv, "rm", "-f", "-t", "0", name(0))
	if out := ok(t, baseEnv, "exec", name(1), "timeout", "10", "wget", "-q", "-O", "-", url); out != "shared" {
		t.Errorf("after the first container went: %q", out)
	}
}
