package netslirp

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// slirpDefaultCIDR is slirp4netns's network, as podman uses it.
const slirpDefaultCIDR = "10.0.2.0/24"

// slirpNet is the addresses slirp4netns gives a network: the container's
// (.100), the gateway that stands for the host (.2) and the DNS forwarder (.3).
type slirpNet struct {
	Container, Gateway, DNS netip.Addr
}

// slirpAddrs computes slirp4netns's addresses in cidr ("" is the default).
func slirpAddrs(cidr string) (slirpNet, error) {
	if cidr == "" {
		cidr = slirpDefaultCIDR
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Bits() > 25 {
		return slirpNet{}, fmt.Errorf("cidr must be an IPv4 network of at least 128 addresses, as 10.0.2.0/24, not %q", cidr)
	}
	base := p.Masked().Addr().As4()
	at := func(n byte) netip.Addr {
		a := base
		a[3] += n
		return netip.AddrFrom4(a)
	}
	return slirpNet{Container: at(100), Gateway: at(2), DNS: at(3)}, nil
}

// attachSlirp4netns starts slirp4netns on tap0 in the netns of pid, as
// podman does, and returns once it has configured the interface.
func attachSlirp4netns(cfg *Config, pid int) (io.Closer, error) {
	path, err := helperPath(ModeSlirp4netns, "slirp4netns")
	if err != nil {
		return nil, err
	}
	mtu := cfg.Options["mtu"]
	if mtu == "" {
		mtu = "65520"
	}
	// fd 3 says ready, fd 4 is the exit fd: slirp4netns quits when rpod
	// closes it, or dies.
	args := []string{"--configure", "--mtu=" + mtu, "--ready-fd=3", "--exit-fd=4",
		"--enable-sandbox", "--enable-seccomp"}
	if !cfg.AllowHostLoopback() {
		args = append(args, "--disable-host-loopback")
	}
	if c := cfg.Options["cidr"]; c != "" {
		args = append(args, "--cidr="+c)
	}
	if cfg.Options["enable_ipv6"] == "true" {
		args = append(args, "--enable-ipv6")
	}
	if a := cfg.Options["outbound_addr"]; a != "" {
		args = append(args, "--outbound-addr="+a)
	}
	if a := cfg.Options["outbound_addr6"]; a != "" {
		args = append(args, "--outbound-addr6="+a)
	}
	args = append(args, strconv.Itoa(pid), "tap0")
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("slirp4netns: %w", err)
	}
	defer readyR.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return nil, fmt.Errorf("slirp4netns: %w", err)
	}
	h, err := startHelper(ModeSlirp4netns, path, args, readyW, exitR)
	readyW.Close()
	exitR.Close()
	if err != nil {
		exitW.Close()
		return nil, err
	}
	h.exitFd = exitW
	buf := make([]byte, 1)
	if _, err := h.readReady(readyR, buf); err != nil {
		h.Close()
		return nil, helperTunError(ModeSlirp4netns, err)
	}
	return h, nil
}

// helper is a started helper process (slirp4netns, pasta) rpod owns.
type helper struct {
	name   string
	cmd    *exec.Cmd
	out    *tailBuffer
	done   chan struct{} // closed once the process has been reaped
	exitFd *os.File
	once   sync.Once
}

// helperReadyTimeout bounds the wait for a helper to configure the netns.
const helperReadyTimeout = 30 * time.Second

// startHelper starts a helper with extra files from fd 3, in a process
// group of its own so that the terminal's ^C does not reach it, and killed
// if rpod dies.
func startHelper(name, path string, args []string, extra ...*os.File) (*helper, error) {
	cmd := exec.Command(path, args...)
	out := &tailBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	h := &helper{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(h.done)
	}()
	return h, nil
}

// readReady reads the helper's readiness message from r: it fails when the
// helper exits first (with what it said) or takes too long.
func (h *helper) readReady(r *os.File, buf []byte) (int, error) {
	type result struct {
		n   int
		err error
	}
	got := make(chan result, 1)
	go func() {
		n, err := r.Read(buf)
		got <- result{n, err}
	}()
	select {
	case res := <-got:
		if res.n > 0 {
			return res.n, nil
		}
		// EOF: the helper exited, or closed the fd without a word.
		select {
		case <-h.done:
		case <-time.After(time.Second):
		}
		return 0, h.failure("exited before the network was ready")
	case <-h.done:
		return 0, h.failure("exited before the network was ready")
	case <-time.After(helperReadyTimeout):
		r.SetReadDeadline(time.Now())
		return 0, h.failure(fmt.Sprintf("not ready after %v", helperReadyTimeout))
	}
}

// failure is an error naming the helper and the last thing it said.
func (h *helper) failure(what string) error {
	msg := h.out.lastLine()
	if msg == "" {
		if st := h.cmd.ProcessState; st != nil {
			msg = st.String()
		}
	}
	if msg != "" {
		return fmt.Errorf("%s %s: %s", h.name, what, msg)
	}
	return fmt.Errorf("%s %s", h.name, what)
}

// Close stops the helper and reaps it.
func (h *helper) Close() error {
	h.once.Do(func() {
		if h.exitFd != nil {
			h.exitFd.Close()
		}
		h.cmd.Process.Kill()
		<-h.done
	})
	return nil
}

// tailBuffer keeps the last max bytes written to it: a helper's messages,
// for the error when it fails, without growing while it runs for days.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte{}, t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// lastLine is the last meaningful line the helper wrote.
func (t *tailBuffer) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		// pasta's complaint of no syslog says nothing about the failure.
		if l != "" && !strings.HasPrefix(l, "Failed to send") && !strings.HasPrefix(l, "WARNING:") {
			return l
		}
	}
	return ""
}
