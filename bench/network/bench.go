package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// containerPort is where the iperf3 server and httpd listen in a container.
const containerPort = 5201

// bench holds the world, the iperf3 mounts and every result.
type bench struct {
	w         *world.World
	secs      int
	mounts    []string // -v flags putting iperf3, its libraries and the loader under /iperf
	podmanWhy string   // non-empty: podman rows unavailable, and why
	def       string   // rpod's default backend, as rpod records it

	hostServer *exec.Cmd // iperf3 -s on 127.0.0.1 for the container -> host rows
	hostPort   int

	toHost, fromHost, rate []*row // every round's values merged
	mem                    []*memRow
}

// row is one figure: Gbit/s, or requests per second.
type row struct {
	name, argv string
	value      float64   // this round's figure; after merge, the median of values
	values     []float64 // one per round
	why        string    // non-empty: unavailable, and why
	isDefault  bool      // rpod's default backend
	isLimit    bool      // host loopback
}

// backend is one way a container gets its network.
type backend struct {
	name      string
	podman    bool
	toHost    []string // network flags for container -> host (host loopback allowed)
	hostAddr  string   // where the container reaches the host's loopback
	published []string // network flags for a published port
	isDefault bool
}

// backends lists rpod's backends that are installed and podman's default.
func (b *bench) backends() []*backend {
	def := b.defaultBackend()
	gw := hostGateway()
	all := []*backend{
		{name: "rpod embedded", toHost: []string{"--network", "embedded:allow_host_loopback=true"}, hostAddr: "10.0.2.2",
			published: []string{"--network", "embedded"}, isDefault: def == "embedded"},
		{name: "rpod slirp4netns", toHost: []string{"--network", "slirp4netns:allow_host_loopback=true"}, hostAddr: "10.0.2.2",
			published: []string{"--network", "slirp4netns"}, isDefault: def == "slirp4netns"},
		{name: "rpod pasta", toHost: []string{"--network", "pasta:--map-gw"}, hostAddr: gw,
			published: []string{"--network", "pasta"}, isDefault: def == "pasta"},
		{name: "podman (slirp4netns)", podman: true,
			toHost: []string{"--network", "slirp4netns:allow_host_loopback=true"}, hostAddr: "10.0.2.2"},
	}
	return all
}

// defaultBackend is the backend rpod gives a container without --network,
// as it records it for a container created here.
func (b *bench) defaultBackend() string {
	if b.def != "" {
		return b.def
	}
	ctx := context.Background()
	b.def = "unknown"
	if _, err := b.w.Output(ctx, b.w.Rpod, "create", "--name", "default-probe", "busybox", "true"); err == nil {
		if out, err := b.w.Output(ctx, b.w.Rpod, "inspect", "--format", "{{.HostConfig.NetworkMode}}", "default-probe"); err == nil {
			b.def, _, _ = strings.Cut(strings.TrimSpace(out), ":")
		}
		b.w.Output(ctx, b.w.Rpod, "rm", "-f", "default-probe")
	}
	return b.def
}

// hostGateway is the host's default gateway, which pasta --map-gw maps to the host's loopback.
func hostGateway() string {
	out, _ := exec.Command("ip", "-4", "route", "show", "default").Output()
	f := strings.Fields(string(out))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "via" {
			return f[i+1]
		}
	}
	return "?"
}

// why returns the reason a backend cannot run here, or "".
func (b *bench) why(be *backend) string {
	if be.podman {
		return b.podmanWhy
	}
	for _, h := range []string{"slirp4netns", "pasta"} {
		if strings.HasSuffix(be.name, h) {
			if _, err := exec.LookPath(h); err != nil {
				return h + " not installed"
			}
		}
	}
	return ""
}

// engine returns the argv prefix of `run` for a backend's tool.
func (b *bench) engine(be *backend) []string {
	if be.podman {
		return []string{b.w.Podman, "--runtime", "runc", "run"}
	}
	return []string{b.w.Rpod, "run"}
}

// remove force-removes a detached container.
func (b *bench) remove(be *backend, name string) {
	argv := []string{b.w.Rpod, "rm", "-f", name}
	if be.podman {
		argv = []string{b.w.Podman, "rm", "-f", "-t", "0", name}
	}
	if out, err := b.w.Output(context.Background(), argv[0], argv[1:]...); err != nil {
		fmt.Fprintf(os.Stderr, "bench: removing %s: %v: %s\n", name, err, world.Tail(out, 300))
	}
}

// run measures everything rounds times, the rows of each round one after
// the other, so that a slow moment of the machine hits one round, not one row.
// Memory is read in the first round.
func (b *bench) run(ctx context.Context, rounds int) {
	if err := b.startHostServer(); err != nil {
		why := "host iperf3 server: " + err.Error()
		b.toHost = append(b.toHost, &row{name: "host loopback", why: why, isLimit: true})
		return
	}
	for i := 0; i < rounds && ctx.Err() == nil; i++ {
		toHost, fromHost, rate := b.toHost, b.fromHost, b.rate
		b.toHost, b.fromHost, b.rate = nil, nil, nil
		b.round(ctx, i == 0)
		b.toHost, b.fromHost, b.rate = merge(toHost, b.toHost), merge(fromHost, b.fromHost), merge(rate, b.rate)
	}
}

// merge adds the figures of a round's rows to the rows of the earlier rounds
// (nil for the first) and sets each row's value to the median so far.
func merge(acc, round []*row) []*row {
	if acc == nil {
		acc = round
		for _, r := range acc {
			r.values = nil
		}
	}
	for i, r := range round {
		a := acc[i]
		if r.why != "" && a.why == "" {
			a.why = r.why
		}
		if r.why == "" {
			a.values = append(a.values, r.value)
		}
		a.value = median(a.values)
	}
	return acc
}

// median is the median of vs (the mean of the middle two for an even count); 0 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// round measures every figure once; withMem also reads the memory of each stack.
func (b *bench) round(ctx context.Context, withMem bool) {
	loop := []string{"/usr/bin/iperf3", "-c", "127.0.0.1", "-p", strconv.Itoa(b.hostPort), "-t", strconv.Itoa(b.secs), "-J"}
	lr := &row{name: "host loopback", argv: strings.Join(loop, " "), isLimit: true}
	lr.value, lr.why = gbps(b.output(ctx, loop))
	b.toHost = append(b.toHost, lr)
	b.fromHost = append(b.fromHost, &row{name: "host loopback (same run)", argv: lr.argv, value: lr.value, why: lr.why, isLimit: true})
	b.rate = append(b.rate, b.hostHTTP(ctx))

	if withMem {
		b.mem = append(b.mem, b.idleMem(ctx))
	}
	for _, be := range b.backends() {
		if ctx.Err() != nil {
			return
		}
		b.toHost = append(b.toHost, b.containerToHost(ctx, be))
		fr, m := b.hostToContainer(ctx, be, withMem)
		b.fromHost = append(b.fromHost, fr)
		if m != nil {
			b.mem = append(b.mem, m)
		}
		b.rate = append(b.rate, b.httpRate(ctx, be))
	}
}

// startHostServer starts iperf3 -s on a free port of 127.0.0.1.
func (b *bench) startHostServer() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	log, err := os.Create(filepath.Join(b.w.Dir, "iperf3-server.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("/usr/bin/iperf3", "-s", "-B", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	b.hostServer, b.hostPort = cmd, port
	return waitListening(port, 10*time.Second)
}

// close stops the host's iperf3 server.
func (b *bench) close() {
	if b.hostServer != nil {
		_ = b.hostServer.Process.Kill()
		_ = b.hostServer.Wait()
	}
}

// containerToHost runs the iperf3 client in a container against the host's server.
func (b *bench) containerToHost(ctx context.Context, be *backend) *row {
	argv := append(append(append(b.engine(be), "--rm"), be.toHost...), b.mounts...)
	argv = append(argv, "busybox")
	argv = append(argv, iperfInContainer("-c", be.hostAddr, "-p", strconv.Itoa(b.hostPort), "-t", strconv.Itoa(b.secs), "-J")...)
	r := &row{name: be.name, argv: shortArgv(argv), isDefault: be.isDefault}
	if r.why = b.why(be); r.why != "" {
		return r
	}
	r.value, r.why = gbps(b.output(ctx, argv))
	return r
}

// hostToContainer runs the iperf3 server in a detached container with a
// published port and the client on the host, then reads the memory of the
// container's network stack.
func (b *bench) hostToContainer(ctx context.Context, be *backend, withMem bool) (*row, *memRow) {
	r := &row{name: be.name, isDefault: be.isDefault}
	if be.podman {
		r.name = "podman (rootlessport)"
	}
	if r.why = b.why(be); r.why != "" {
		return r, nil
	}
	port, err := freePort()
	if err != nil {
		r.why = err.Error()
		return r, nil
	}
	name := fmt.Sprintf("iperf-%d", port)
	argv := append(append(b.engine(be), "-d", "--name", name, "-p", fmt.Sprintf("%d:%d", port, containerPort)), be.published...)
	argv = append(append(argv, b.mounts...), "busybox")
	argv = append(argv, iperfInContainer("-s", "-p", strconv.Itoa(containerPort))...)
	r.argv = shortArgv(argv)
	before := world.ProcTable()
	if out, err := b.w.Output(ctx, argv[0], argv[1:]...); err != nil {
		r.why = fmt.Sprintf("run -d: %v: %s", err, world.Tail(out, 400))
		return r, nil
	}
	defer b.remove(be, name)

	client := []string{"/usr/bin/iperf3", "-c", "127.0.0.1", "-p", strconv.Itoa(port), "-t", strconv.Itoa(b.secs), "-J"}
	// The published port may accept before the server in the container listens: retry.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := b.output(ctx, client)
		r.value, r.why = gbps(out, err)
		if r.why == "" || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !withMem {
		return r, nil
	}
	return r, b.stackMem(ctx, be, name, before)
}

// iperfInContainer is the command line running the bind-mounted iperf3 through the host's loader.
func iperfInContainer(args ...string) []string {
	return append([]string{"/iperf/ld.so", "--library-path", "/iperf", "/iperf/iperf3"}, args...)
}

// output runs a command in the world and returns its stdout; the error carries stderr's tail.
func (b *bench) output(ctx context.Context, argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(b.secs)*time.Second+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = b.w.Env, b.w.Dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%v: %s %s", err, world.Tail(stderr.String(), 300), iperfError(string(out)))
	}
	return string(out), nil
}

// gbps reads the receiver's throughput from iperf3 -J output.
func gbps(out string, err error) (float64, string) {
	if err != nil {
		return 0, err.Error()
	}
	var res struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return 0, fmt.Sprintf("iperf3 -J output: %v: %s", err, world.Tail(out, 300))
	}
	if res.Error != "" {
		return 0, "iperf3: " + res.Error
	}
	if res.End.SumReceived.BitsPerSecond <= 0 {
		return 0, "iperf3 reported no throughput"
	}
	return res.End.SumReceived.BitsPerSecond / 1e9, ""
}

// iperfError is the "error" field of iperf3 -J output, if any.
func iperfError(out string) string {
	var res struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(out), &res) == nil && res.Error != "" {
		return "iperf3: " + res.Error
	}
	return ""
}

// iperfMounts returns -v flags mounting iperf3, its libraries and the dynamic
// loader read-only under /iperf (the loader as /iperf/ld.so).
func iperfMounts(ctx context.Context) ([]string, error) {
	const bin = "/usr/bin/iperf3"
	out, err := exec.CommandContext(ctx, "ldd", bin).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s (install iperf3): %v", bin, err)
	}
	flags := []string{"-v", bin + ":/iperf/iperf3:ro"}
	loader := false
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		var path, as string
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			path, as = f[2], filepath.Base(f[0])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			path, as, loader = f[0], "ld.so", true
		default:
			continue
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, err
		}
		flags = append(flags, "-v", real+":/iperf/"+as+":ro")
	}
	if !loader {
		return nil, fmt.Errorf("ldd %s names no dynamic loader", bin)
	}
	return flags, nil
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening polls until something accepts on 127.0.0.1:port.
func waitListening(port int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shortArgv prints an argv with the -v mounts of iperf3 folded into one word.
func shortArgv(argv []string) string {
	var out []string
	for i := 0; i < len(argv); i++ {
		if argv[i] == "-v" && i+1 < len(argv) && strings.Contains(argv[i+1], ":/iperf/") {
			if len(out) == 0 || out[len(out)-1] != "-v(iperf3 mounts)" {
				out = append(out, "-v(iperf3 mounts)")
			}
			i++
			continue
		}
		out = append(out, argv[i])
	}
	out[0] = filepath.Base(out[0])
	return strings.Join(out, " ")
}
