package netslirp

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// netnsProcess starts a sleeping process in a new network namespace; the
// embedded stack needs root (CAP_NET_ADMIN over that netns) to attach.
func netnsProcess(t *testing.T) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	for _, p := range []string{"/dev/net/tun", "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/busybox", "/usr/bin/curl"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s", p)
		}
	}
	cmd := exec.Command("unshare", "-n", "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Skipf("unshare: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	// unshare execs sleep once the netns exists.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(b)) == "sleep" {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatal("unshare did not start sleep")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// inNetns runs busybox with args in the netns of pid.
func inNetns(pid int, args ...string) (string, error) {
	return inNetnsRun(pid, append([]string{"busybox"}, args...)...)
}

// inNetnsRun runs a host command in the netns of pid.
func inNetnsRun(pid int, args ...string) (string, error) {
	cmd := exec.Command("nsenter", append([]string{"-t", fmt.Sprint(pid), "-n"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestEmbeddedAttach(t *testing.T) {
	pid := netnsProcess(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from the host")
	})}
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	start := time.Now()
	c, err := attachEmbedded(&Config{Mode: "embedded", Options: map[string]string{"allow_host_loopback": "true"}}, pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("attach took %v", time.Since(start))

	out, err := inNetns(pid, "ip", "addr", "show", EmbeddedTap)
	if err != nil || !strings.Contains(out, EmbeddedContainerIP+"/24") || !strings.Contains(out, "mtu 65520") {
		t.Errorf("tap0: %v\n%s", err, out)
	}
	out, err = inNetns(pid, "ip", "route")
	if err != nil || !strings.Contains(out, "default via "+EmbeddedGateway) {
		t.Errorf("route: %v\n%s", err, out)
	}
	url := fmt.Sprintf("http://%s:%d/", EmbeddedHostAddress, port)
	out, err = inNetnsRun(pid, "curl", "-sS", "-m", "10", url)
	if err != nil || out != "hello from the host" {
		t.Errorf("wget %s: %v\n%s", url, err, out)
	}
	out, err = inNetns(pid, "nslookup", "host.containers.internal", EmbeddedDNS)
	if err != nil || !strings.Contains(out, EmbeddedHostAddress) {
		t.Errorf("nslookup host.containers.internal: %v\n%s", err, out)
	}
	host, _ := os.Hostname()
	want, _ := net.LookupHost(host)
	out, err = inNetns(pid, "nslookup", host, EmbeddedDNS)
	if err != nil || len(want) == 0 || !strings.Contains(out, want[0]) {
		t.Errorf("nslookup %s (host says %v): %v\n%s", host, want, err, out)
	}

	// UDP echo on the host's loopback.
	uc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			k, from, err := uc.ReadFrom(buf)
			if err != nil {
				return
			}
			uc.WriteTo(bytes.ToUpper(buf[:k]), from)
		}
	}()
	uport := uc.LocalAddr().(*net.UDPAddr).Port
	out, err = inNetnsRun(pid, "env", "EMB_UDP_TO="+net.JoinHostPort(EmbeddedHostAddress, fmt.Sprint(uport)), os.Args[0], "-test.run=^TestEmbeddedUDPClient$")
	if !strings.Contains(out, "PING OVER UDP") {
		t.Errorf("udp echo: %v\n%s", err, out)
	}
	uc.Close()
	if err := c.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if out, _ := inNetns(pid, "ip", "link", "show", EmbeddedTap); strings.Contains(out, EmbeddedTap+":") {
		t.Errorf("tap0 still there after Close:\n%s", out)
	}
	waitFor := func(what string, ok func() bool) {
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Errorf("%s", what)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("file descriptors leaked", func() bool { return openFDs(t) <= fds })
	waitFor("goroutines leaked", func() bool { return runtime.NumGoroutine() <= goroutines })
	if t.Failed() {
		buf := make([]byte, 1<<20)
		t.Logf("goroutines now %d (before %d):\n%s", runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
	}
}

func TestEmbeddedNoHostLoopback(t *testing.T) {
	pid := netnsProcess(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	c, err := attachEmbedded(&Config{Mode: "embedded"}, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, a := range []string{EmbeddedHostAddress, EmbeddedDNS} {
		out, err := inNetnsRun(pid, "curl", "-sS", "-m", "5", fmt.Sprintf("http://%s:%d/", a, port))
		if err == nil {
			t.Errorf("host loopback reached through %s:\n%s", a, out)
		}
	}
}

// TestEmbeddedUDPClient is TestEmbeddedAttach's UDP client, run in the netns.
func TestEmbeddedUDPClient(t *testing.T) {
	to := os.Getenv("EMB_UDP_TO")
	if to == "" {
		t.Skip("a helper of TestEmbeddedAttach")
	}
	c, err := net.Dial("udp4", to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	for i := 0; i < 5; i++ {
		c.Write([]byte("ping over udp"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if k, err := c.Read(buf); err == nil {
			fmt.Println(string(buf[:k]))
			return
		}
	}
	t.Fatal("no echo")
}

// TestEmbeddedPing needs ICMP sockets for this user: run it in a netns of
// its own where they are allowed, with EMB_PING_TARGET an address there.
func TestEmbeddedPing(t *testing.T) {
	target := os.Getenv("EMB_PING_TARGET")
	if target == "" {
		t.Skip("set EMB_PING_TARGET, in a netns where net.ipv4.ping_group_range allows ICMP sockets")
	}
	if !PingAllowed() {
		t.Fatal("PingAllowed() is false")
	}
	pid := netnsProcess(t)
	c, err := attachEmbedded(&Config{Mode: "embedded"}, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := inNetns(pid, "ping", "-c", "2", "-W", "5", target)
	if err != nil || !strings.Contains(out, "2 packets received") {
		t.Errorf("ping %s: %v\n%s", target, err, out)
	}
	// An address the host cannot reach gets no (forged) answer.
	if out, err := inNetns(pid, "ping", "-c", "1", "-W", "2", "198.51.100.7"); err == nil {
		t.Errorf("ping of an unreachable address answered:\n%s", out)
	}
}

// TestEmbeddedCloseUnderLoad closes the stack during a bulk transfer.
func TestEmbeddedCloseUnderLoad(t *testing.T) {
	if _, err := exec.LookPath("iperf3"); err != nil {
		t.Skip("needs iperf3")
	}
	pid := netnsProcess(t)
	srv := exec.Command("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", "5379")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	time.Sleep(300 * time.Millisecond)
	goroutines := runtime.NumGoroutine()
	c, err := attachEmbedded(&Config{Mode: "embedded", Options: map[string]string{"allow_host_loopback": "true"}}, pid)
	if err != nil {
		t.Fatal(err)
	}
	cl := exec.Command("nsenter", "-t", fmt.Sprint(pid), "-n", "iperf3", "-c", EmbeddedGateway, "-p", "5379", "-t", "30", "-P", "4")
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cl.Process.Kill(); cl.Wait() }()
	time.Sleep(1500 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Close hangs under load")
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > goroutines+1 { // +1: the Close goroutine ending
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines leaked:\n%s", buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
