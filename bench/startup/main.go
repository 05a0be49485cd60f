// Command startup measures the wall time of `rpod run --rm busybox true`
// next to podman's (`podman --runtime runc run --rm busybox true`) and to
// bubblewrap's and unshare's bare namespace setup, and prints the medians as
// ratios to rpod's. It never asserts a time.
//
// It runs as an unprivileged user in a throwaway world of its own: a local
// docker-registry serving a busybox image built from the host's static
// busybox, and private HOME, XDG_* directories, registries.conf and
// containers.conf. Everything is torn down at the end, also on failure.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/startup [-n 20] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/rpod/rpod/internal/fixture"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

const (
	buildTags  = "exclude_graphdriver_btrfs containers_image_openpgp"
	warmups    = 3
	runTimeout = 2 * time.Minute
)

// row is one command the benchmark times.
type row struct {
	name  string   // label in the table
	argv  []string // command line; argv[0] is a path
	isRef bool     // the rpod row every ratio is relative to

	why   string // non-empty: unavailable, and why
	times []time.Duration
	rss   int64 // ru_maxrss of one run under GNU time, KiB; 0 if unknown
}

// world is the benchmark's private environment and what must be torn down.
type world struct {
	dir     string
	env     []string
	reg     *fixture.Registry
	rpod    string
	podman  string // set once podman has been run in this world
	dataDir string
	runDir  string
}

func main() {
	os.Exit(mainCode())
}

// mainCode runs the benchmark; 0 unless setup or rpod itself fails.
func mainCode() int {
	n := flag.Int("n", 20, "timed runs of each command")
	rpodFlag := flag.String("rpod", "", "rpod binary (default: go build ./cmd/rpod into the temporary directory)")
	keep := flag.Bool("keep", false, "keep the temporary directory (the stores are still removed)")
	flag.Parse()
	if *n < 1 {
		fmt.Fprintln(os.Stderr, "bench: -n must be at least 1")
		return 2
	}
	if os.Geteuid() == 0 {
		fmt.Fprintln(os.Stderr, "bench: refusing to run as root: the benchmark measures rootless containers. "+
			"Run `bash bench/run.sh` (as root it builds the binaries and runs this program as an unprivileged user), "+
			"or run this program as an ordinary user with subordinate ids in /etc/subuid and /etc/subgid.")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	dir, err := os.MkdirTemp("", "rpod-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	w := &world{dir: dir}
	defer func() {
		w.teardown()
		if *keep {
			fmt.Fprintf(os.Stderr, "bench: kept %s\n", dir)
		} else if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "bench: could not remove %s: %v\n", dir, err)
		}
	}()

	if err := w.setup(ctx, *rpodFlag); err != nil {
		fmt.Fprintln(os.Stderr, "bench: setup:", err)
		return 1
	}
	rows := w.rows(ctx)

	for _, r := range rows {
		if r.why != "" {
			continue
		}
		for i := 0; i < warmups; i++ {
			if _, err := w.runOnce(ctx, r); err != nil {
				r.why = fmt.Sprintf("warm-up run %d failed: %v", i+1, err)
				break
			}
		}
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "bench: interrupted")
			return 1
		}
		if r.isRef && r.why != "" {
			fmt.Fprintf(os.Stderr, "bench: rpod: %s\n", r.why)
			return 1
		}
	}

	// Interleave the commands so that a slow phase of the machine hits all rows alike.
	loadBefore := loadavg()
	for i := 0; i < *n; i++ {
		for _, r := range rows {
			if r.why != "" {
				continue
			}
			d, err := w.runOnce(ctx, r)
			if ctx.Err() != nil {
				fmt.Fprintln(os.Stderr, "bench: interrupted")
				return 1
			}
			if err != nil {
				r.why = fmt.Sprintf("timed run %d failed: %v", i+1, err)
				if r.isRef {
					fmt.Fprintf(os.Stderr, "bench: rpod: %s\n", r.why)
					return 1
				}
				continue
			}
			r.times = append(r.times, d)
		}
	}

	// Peak RSS, untimed: one more run of each command, under GNU time.
	floor := &row{name: "true (GNU time floor)", argv: []string{"/bin/true"}}
	if rss, err := w.peakRSS(ctx, floor); err == nil {
		floor.rss = rss
	} else {
		fmt.Fprintf(os.Stderr, "bench: measuring the GNU time floor: %v\n", err)
	}
	for _, r := range rows {
		if r.why != "" {
			continue
		}
		rss, err := w.peakRSS(ctx, r)
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "bench: interrupted")
			return 1
		}
		if err != nil {
			if r.isRef {
				fmt.Fprintf(os.Stderr, "bench: rpod: peak RSS run failed: %v\n", err)
				return 1
			}
			fmt.Fprintf(os.Stderr, "bench: %s: peak RSS run failed: %v\n", r.name, err)
			continue
		}
		r.rss = rss
	}

	load := fmt.Sprintf("%s before, %s after the timed runs", loadBefore, loadavg())
	report(os.Stdout, w, rows, *n, floor.rss, load)
	return 0
}

// setup starts the registry, pushes busybox, writes the configuration,
// locates or builds rpod and pulls busybox into rpod's store.
func (w *world) setup(ctx context.Context, rpodFlag string) error {
	reg, err := fixture.StartRegistry(filepath.Join(w.dir, "registry"))
	if err != nil {
		return err
	}
	w.reg = reg
	layout := filepath.Join(w.dir, "busybox-layout")
	if err := fixture.BuildBusybox(layout); err != nil {
		return err
	}
	if err := fixture.Push(ctx, layout, reg.Addr+"/busybox:latest"); err != nil {
		return err
	}

	for _, d := range []string{"home", "run", "data", "config/containers"} {
		if err := os.MkdirAll(filepath.Join(w.dir, d), 0o700); err != nil {
			return err
		}
	}
	regConf := filepath.Join(w.dir, "registries.conf")
	if err := os.WriteFile(regConf, []byte(fmt.Sprintf(
		"unqualified-search-registries = [%q]\n\n[[registry]]\nlocation = %q\ninsecure = true\n", reg.Addr, reg.Addr)), 0o644); err != nil {
		return err
	}
	// Rootless podman on this kind of host: no systemd, so cgroupfs and a file
	// event log; runc as the OCI runtime, like the command line says.
	if err := os.WriteFile(filepath.Join(w.dir, "config/containers/containers.conf"), []byte(
		"[containers]\nlog_driver = \"k8s-file\"\n\n[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nruntime = \"runc\"\n"), 0o644); err != nil {
		return err
	}
	w.dataDir = filepath.Join(w.dir, "data")
	w.runDir = filepath.Join(w.dir, "run")
	w.env = []string{
		"HOME=" + filepath.Join(w.dir, "home"),
		"XDG_RUNTIME_DIR=" + w.runDir,
		"XDG_DATA_HOME=" + w.dataDir,
		"XDG_CONFIG_HOME=" + filepath.Join(w.dir, "config"),
		"CONTAINERS_REGISTRIES_CONF=" + regConf,
		"PATH=" + os.Getenv("PATH"),
		"LANG=C",
	}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		w.env = append(w.env, "TMPDIR="+tmp)
	}

	if rpodFlag != "" {
		if w.rpod, err = filepath.Abs(rpodFlag); err != nil {
			return err
		}
	} else {
		if w.rpod, err = buildRpod(ctx, w.dir); err != nil {
			return err
		}
	}
	if out, err := w.output(ctx, w.rpod, "pull", "-q", "busybox"); err != nil {
		return fmt.Errorf("rpod pull busybox: %v: %s", err, out)
	}
	return nil
}

// buildRpod builds ./cmd/rpod of the module in the current directory into dir.
func buildRpod(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("no -rpod given and not inside the rpod module (go env GOMOD: %q, %v)", gomod, err)
	}
	root := filepath.Dir(gomod)
	bin := filepath.Join(dir, "rpod")
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-tags", buildTags, "-o", bin, "./cmd/rpod")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/rpod: %w", err)
	}
	return bin, nil
}

// rows lists the commands to time; peers that are missing or cannot pull are marked unavailable.
func (w *world) rows(ctx context.Context) []*row {
	rows := []*row{
		{name: "rpod run --rm", argv: []string{w.rpod, "run", "--rm", "busybox", "true"}, isRef: true},
		{name: "rpod unshare true", argv: []string{w.rpod, "unshare", "true"}},
	}

	podman, err := lookPath("podman")
	pr := []*row{
		{name: "podman run --rm", argv: []string{podman, "--runtime", "runc", "run", "--rm", "busybox", "true"}},
		{name: "podman run --rm --network none", argv: []string{podman, "--runtime", "runc", "run", "--rm", "--network", "none", "busybox", "true"}},
	}
	switch {
	case err != nil:
		pr[0].why = "podman not found"
	default:
		w.podman = podman
		// Podman resolves the short name "busybox" to docker.io through the alias
		// in /etc/containers/registries.conf.d/shortnames.conf when pulling, so
		// pull the fully qualified name; `run busybox` then finds it locally
		// through unqualified-search-registries.
		if out, err := w.output(ctx, podman, "pull", "-q", w.reg.Addr+"/busybox:latest"); err != nil {
			pr[0].why = fmt.Sprintf("podman pull busybox: %v: %s", err, tail(out, 600))
		}
	}
	if pr[0].why != "" {
		pr[1].why = pr[0].why
	}
	rows = append(rows, pr...)

	bwrap, err := lookPath("bwrap")
	br := &row{name: "bwrap (floor)", argv: []string{bwrap, "--unshare-all", "--uid", "0", "--gid", "0", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"}}
	if err != nil {
		br.why = "bwrap not found"
	}
	unshare, err := lookPath("unshare")
	ur := &row{name: "unshare (floor)", argv: []string{unshare, "-Urmpf", "--mount-proc", "true"}}
	if err != nil {
		ur.why = "unshare not found"
	}
	return append(rows, br, ur)
}

// lookPath is exec.LookPath, but returns name itself when it finds nothing,
// so that the report can still show the command.
func lookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return name, err
	}
	return p, nil
}

// runOnce runs r's command once in the world and returns its wall time.
func (w *world) runOnce(ctx context.Context, r *row) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.argv[0], r.argv[1:]...)
	errFile, done, err := w.prepare(cmd)
	if err != nil {
		return 0, err
	}
	defer done()

	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, runError(err, errFile)
	}
	return d, nil
}

// peakRSS runs r's command once under GNU time and returns the command's
// ru_maxrss in KiB.
//
// ru_maxrss of a child includes the peak RSS of the address space it was
// forked from: started straight from this process (tens of MiB), every
// command would seem at least as big as the benchmark. GNU time is a small C
// program, so the floor it adds is about a MiB; report measures it with `true`.
func (w *world) peakRSS(ctx context.Context, r *row) (int64, error) {
	out, err := os.CreateTemp(w.dir, "rss-")
	if err != nil {
		return 0, err
	}
	out.Close()
	defer os.Remove(out.Name())

	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gnuTime, append([]string{"-f", "%M", "-o", out.Name()}, r.argv...)...)
	errFile, done, err := w.prepare(cmd)
	if err != nil {
		return 0, err
	}
	defer done()
	if err := cmd.Run(); err != nil {
		return 0, runError(err, errFile)
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
}

// gnuTime measures peak RSS (Debian package time).
const gnuTime = "/usr/bin/time"

// prepare sets cmd's environment and directory, sends stdout to /dev/null
// and stderr to a temporary file (files, so no copying goroutines run during
// the measurement). done closes and removes them.
func (w *world) prepare(cmd *exec.Cmd) (errFile *os.File, done func(), err error) {
	errFile, err = os.CreateTemp(w.dir, "stderr-")
	if err != nil {
		return nil, nil, err
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		errFile.Close()
		os.Remove(errFile.Name())
		return nil, nil, err
	}
	cmd.Env = w.env
	cmd.Dir = w.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, errFile
	return errFile, func() {
		devnull.Close()
		errFile.Close()
		os.Remove(errFile.Name())
	}, nil
}

// runError adds the tail of the command's stderr to its error.
func runError(err error, errFile *os.File) error {
	msg, _ := os.ReadFile(errFile.Name())
	return fmt.Errorf("%v: %s", err, tail(string(msg), 600))
}

// output runs a setup or teardown command in the world and returns its combined output.
func (w *world) output(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = w.env
	cmd.Dir = w.dir
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// teardown removes the rpod and podman stores (owned by subordinate ids, so
// from inside each tool's user namespace), stops their pause processes and
// stops the registry. It reports problems and carries on.
func (w *world) teardown() {
	ctx := context.Background()
	warn := func(what string, out string, err error) {
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: teardown: %s: %v: %s\n", what, err, tail(out, 400))
		}
	}
	if w.podman != "" {
		out, err := w.output(ctx, w.podman, "rm", "-af")
		warn("podman rm -af", out, err)
		out, err = w.output(ctx, w.podman, "unshare", "rm", "-rf", filepath.Join(w.dataDir, "containers"))
		warn("podman unshare rm -rf", out, err)
		out, err = w.output(ctx, w.podman, "system", "migrate")
		warn("podman system migrate", out, err)
		// migrate may leave (or start) a pause process; it is ours, named by our runtime directory.
		killPidFile(filepath.Join(w.runDir, "libpod", "tmp", "pause.pid"))
	}
	if w.rpod != "" && w.env != nil {
		if _, err := os.Stat(filepath.Join(w.dataDir, "rpod")); err == nil {
			out, err := w.output(ctx, w.rpod, "rm", "-af")
			warn("rpod rm -af", out, err)
			out, err = w.output(ctx, w.rpod, "unshare", "rm", "-rf", filepath.Join(w.dataDir, "rpod"))
			warn("rpod unshare rm -rf", out, err)
		}
		out, err := w.output(ctx, w.rpod, "system", "migrate")
		warn("rpod system migrate", out, err)
	}
	if w.reg != nil {
		w.reg.Stop()
	}
}

// killPidFile kills the process named in a pid file if it still runs as this user.
func killPidFile(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return
	}
	var st syscall.Stat_t
	if syscall.Stat(fmt.Sprintf("/proc/%d", pid), &st) != nil || int(st.Uid) != os.Getuid() {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// report prints the environment, the table and the unavailable rows.
func report(out *os.File, w *world, rows []*row, n int, rssFloor int64, load string) {
	fmt.Fprintf(out, "rpod startup benchmark, %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(out, "host: %s, kernel %s, %d CPUs\n", osName(), kernel(), runtime.NumCPU())
	fmt.Fprintf(out, "versions: %s; %s; %s; %s\n",
		firstLine(w.rpod, "version"), firstLine("podman", "--version"), firstLine("runc", "--version"), firstLine("bwrap", "--version"))
	fmt.Fprintf(out, "load average: %s\n", load)
	fmt.Fprintf(out, "%d timed runs per row, interleaved, after %d warm-up runs each; wall time of the whole command\n\n", n, warmups)

	var ref time.Duration
	for _, r := range rows {
		if r.isRef && len(r.times) > 0 {
			ref = median(r.times)
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "command\tmedian ms\tp90 ms\tmin ms\tvs rpod (median / rpod median)\tpeak RSS KiB\t")
	for _, r := range rows {
		if r.why != "" {
			continue
		}
		ratio := "-"
		if ref > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(median(r.times))/float64(ref))
		}
		rss := "?"
		if r.rss > 0 {
			rss = strconv.FormatInt(r.rss, 10)
		}
		if r.rss > 0 && rssFloor > 0 && float64(r.rss) < 1.1*float64(rssFloor) {
			rss += " (floor)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, ms(median(r.times)), ms(percentile(r.times, 0.9)),
			ms(slices.Min(r.times)), ratio, rss)
	}
	tw.Flush()

	fmt.Fprintln(out, "\npeak RSS: ru_maxrss of the command's process (and of the children it waited for) in one extra, untimed run;")
	fmt.Fprintf(out, "it is measured by GNU time, whose own resident size is the floor of this column: %d KiB for `true`.\n", rssFloor)
	fmt.Fprintln(out, "commands:")
	for _, r := range rows {
		fmt.Fprintf(out, "  %-32s %s\n", r.name+":", strings.Join(append([]string{filepath.Base(r.argv[0])}, r.argv[1:]...), " "))
	}
	for _, r := range rows {
		if r.why != "" {
			fmt.Fprintf(out, "%s: unavailable: %s\n", r.name, r.why)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile is the nearest-rank percentile p (0 < p <= 1).
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// tail returns the last max bytes of s, trimmed.
func tail(s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) > max {
		s = "..." + s[len(s)-max:]
	}
	return s
}

// firstLine runs a version command and returns its first line, or "NAME: ?".
func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil || line == "" {
		return filepath.Base(name) + " ?"
	}
	if name != "" && !strings.Contains(strings.ToLower(line), strings.ToLower(filepath.Base(name))) {
		line = filepath.Base(name) + " " + line
	}
	return strings.Join(strings.Fields(line), " ")
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "?"
}
