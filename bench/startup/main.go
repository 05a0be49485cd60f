// Command startup measures the wall time of `rpod run --rm busybox true`
// next to podman's (`podman --runtime runc run --rm busybox true`) and to
// bubblewrap's and unshare's bare namespace setup, and prints the medians as
// ratios to rpod's. It never asserts a time.
//
// It runs as an unprivileged user in a throwaway world of its own (see
// bench/internal/world): a local docker-registry serving a busybox image
// built from the host's static busybox, and private HOME, XDG_* directories,
// registries.conf and containers.conf. Everything is torn down at the end,
// also on failure.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/startup [-n 20] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/bench/internal/world"
)

const warmups = 3

func main() {
	os.Exit(mainCode())
}

// mainCode runs the benchmark; 0 unless setup or rpod itself fails.
func mainCode() int {
	n := flag.Int("n", 20, "timed runs of each command")
	var f world.Flags
	f.Register("n", "3")
	if code := f.Parse("n"); code != 0 {
		return code
	}
	return f.Run(func(ctx context.Context, w *world.World) int {
		if err := setup(ctx, w); err != nil {
			fmt.Fprintln(os.Stderr, "bench: setup:", err)
			return 1
		}
		rows := rows(ctx, w)
		rss := map[*world.Row]int64{} // ru_maxrss of one run under GNU time, KiB

		loadBefore, err := w.Measure(ctx, rows, *n, warmups, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}

		// Peak RSS, untimed: one more run of each command, under GNU time.
		floor := &world.Row{Name: "true (GNU time floor)", Argv: []string{"/bin/true"}}
		rssFloor, err := peakRSS(ctx, w, floor)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: measuring the GNU time floor: %v\n", err)
		}
		for _, r := range rows {
			if r.Why != "" {
				continue
			}
			v, err := peakRSS(ctx, w, r)
			if ctx.Err() != nil {
				fmt.Fprintln(os.Stderr, "bench:", world.ErrInterrupted)
				return 1
			}
			if err != nil {
				if r.IsRef {
					fmt.Fprintf(os.Stderr, "bench: rpod: peak RSS run failed: %v\n", err)
					return 1
				}
				fmt.Fprintf(os.Stderr, "bench: %s: peak RSS run failed: %v\n", r.Name, err)
				continue
			}
			rss[r] = v
		}

		load := fmt.Sprintf("%s before, %s after the timed runs", loadBefore, world.Loadavg())
		report(w, rows, *n, rss, rssFloor, load, world.QuickNote(f.Quick))
		return 0
	})
}

// setup pushes busybox and pulls it into rpod's store.
func setup(ctx context.Context, w *world.World) error {
	if err := w.PushBusybox(ctx); err != nil {
		return err
	}
	if out, err := w.Output(ctx, w.Rpod, "pull", "-q", "busybox"); err != nil {
		return fmt.Errorf("rpod pull busybox: %v: %s", err, out)
	}
	return nil
}

// rows lists the commands to time; peers that are missing or cannot pull are marked unavailable.
func rows(ctx context.Context, w *world.World) []*world.Row {
	rows := []*world.Row{
		{Name: "rpod run --rm", Argv: []string{w.Rpod, "run", "--rm", "busybox", "true"}, IsRef: true},
		{Name: "rpod run --rm --network none", Argv: []string{w.Rpod, "run", "--rm", "--network", "none", "busybox", "true"}},
		{Name: "rpod unshare true", Argv: []string{w.Rpod, "unshare", "true"}},
	}
	reread := &world.Row{Name: "rpod, binary re-read", Why: "no copy"}
	if path, err := rereadCopy(w); err != nil {
		reread.Why = err.Error()
	} else {
		reread.Why = ""
		reread.Argv = []string{path, "run", "--rm", "--network", "none", "busybox", "true"}
	}
	rows = append(rows, reread)

	podman, why := w.PodmanBusybox(ctx, 600)
	rows = append(rows,
		&world.Row{Name: "podman run --rm", Argv: []string{podman, "--runtime", "runc", "run", "--rm", "busybox", "true"}, Why: why},
		&world.Row{Name: "podman run --rm --network none", Argv: []string{podman, "--runtime", "runc", "run", "--rm", "--network", "none", "busybox", "true"}, Why: why},
	)

	bwrap, err := world.LookPath("bwrap")
	br := &world.Row{Name: "bwrap (floor)", Argv: []string{bwrap, "--unshare-all", "--uid", "0", "--gid", "0", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"}}
	if err != nil {
		br.Why = "bwrap not found"
	}
	unshare, err := world.LookPath("unshare")
	ur := &world.Row{Name: "unshare (floor)", Argv: []string{unshare, "-Urmpf", "--mount-proc", "true"}}
	if err != nil {
		ur.Why = "unshare not found"
	}
	return append(rows, br, ur)
}

// rereadCopy copies rpod as cp(1) and install(1) do and drops the copy
// from the page cache, so that its first run reads it back from disk: the
// state of a binary after a reboot or once reclaim took it. On a virtual
// machine that shadows page tables such a binary started 7-9 ms slower
// than one written in one large write, as the linker and make install
// leave rpod, when rpod was one build; the light build, 0-4 ms
// (bench/README.md, session 12). This row shows by how much.
func rereadCopy(w *world.World) (string, error) {
	src, err := os.Open(w.Rpod)
	if err != nil {
		return "", err
	}
	defer src.Close()
	path := filepath.Join(w.Dir, "rpod-reread")
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return "", err
	}
	defer dst.Close()
	if _, err := io.Copy(dst, src); err != nil {
		return "", fmt.Errorf("copy rpod: %w", err)
	}
	// Written back first: dirty pages stay cached whatever the advice.
	if err := dst.Sync(); err != nil {
		return "", err
	}
	if err := unix.Fadvise(int(dst.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return "", fmt.Errorf("drop the copy from the page cache: %w", err)
	}
	return path, nil
}

// gnuTime measures peak RSS (Debian package time).
const gnuTime = "/usr/bin/time"

// peakRSS runs r's command once under GNU time and returns the command's
// ru_maxrss in KiB.
//
// A process the command leaves running once it has returned counts too:
// rpod's `run --rm` reports the exit code from a small process forked before
// its Go runtime starts, while rpod proper still tears the container down.
//
// ru_maxrss of a child includes the peak RSS of the address space it was
// forked from: started straight from this process (tens of MiB), every
// command would seem at least as big as the benchmark. GNU time is a small C
// program, so the floor it adds is about a MiB; report measures it with `true`.
func peakRSS(ctx context.Context, w *world.World, r *world.Row) (int64, error) {
	out, err := os.CreateTemp(w.Dir, "rss-")
	if err != nil {
		return 0, err
	}
	out.Close()
	defer os.Remove(out.Name())

	ctx, cancel := context.WithTimeout(ctx, world.RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gnuTime, append([]string{"-f", "%M", "-o", out.Name()}, r.Argv...)...)
	errFile, done, err := w.Prepare(cmd)
	if err != nil {
		return 0, err
	}
	defer done()
	orphans, err := world.OrphansPeakRSS(cmd.Run)
	if err != nil {
		return 0, world.RunError(err, errFile)
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return max(v, orphans), err
}

// report prints the environment, the table and the unavailable rows.
func report(w *world.World, rows []*world.Row, n int, rss map[*world.Row]int64, rssFloor int64, load, quick string) {
	out := os.Stdout
	world.Header(out, "rpod startup benchmark", []string{world.FirstLine(w.Rpod, "version"), world.FirstLine("podman", "--version"),
		world.FirstLine("runc", "--version"), world.FirstLine("bwrap", "--version")}, load)
	if quick != "" {
		fmt.Fprintln(out, quick)
	}
	fmt.Fprintf(out, "%d timed runs per row, interleaved, after %d warm-up runs each; wall time of the whole command\n\n", n, warmups)

	world.Table(out, rows, world.Column{Head: "peak RSS KiB", Value: func(r *world.Row) string {
		v := "?"
		if rss[r] > 0 {
			v = strconv.FormatInt(rss[r], 10)
		}
		if rss[r] > 0 && rssFloor > 0 && float64(rss[r]) < 1.1*float64(rssFloor) {
			v += " (floor)"
		}
		return v
	}})

	fmt.Fprintln(out, "\npeak RSS: ru_maxrss of the command's process (and of the children it waited for, or left running: rpod's teardown) in one extra, untimed run;")
	fmt.Fprintf(out, "it is measured by GNU time, whose own resident size is the floor of this column: %d KiB for `true`.\n", rssFloor)
	world.Footer(out, rows)
	world.Goals(out, goals(rows, rss))
}

// goals states issue 9's startup goals: rpod's median against podman's
// with each tool's default network (1/6) and with --network none (1/8),
// against bubblewrap's floor (within 4x), and rpod's peak RSS below podman's.
func goals(rows []*world.Row, rss map[*world.Row]int64) []world.Goal {
	byName := map[string]*world.Row{}
	for _, r := range rows {
		byName[r.Name] = r
	}
	timeGoal := func(what, rpod, peer, peerName, maxText string, max float64) world.Goal {
		g := world.Goal{What: what, Unit: "ms", PeerName: peerName, Max: max, MaxText: maxText}
		rr, pr := byName[rpod], byName[peer]
		switch {
		case rr.Why != "" || len(rr.Times) == 0:
			g.Why = rpod + ": " + orNone(rr.Why)
		case pr.Why != "" || len(pr.Times) == 0:
			g.Why = peer + ": " + orNone(pr.Why)
		default:
			g.Rpod, g.Peer = ms(world.Median(rr.Times)), ms(world.Median(pr.Times))
		}
		return g
	}
	rssGoal := func(what, rpod, peer string) world.Goal {
		g := world.Goal{What: what, Unit: "KiB", PeerName: "podman", Max: 1, Strict: true}
		rr, pr := byName[rpod], byName[peer]
		if rss[rr] <= 0 || rss[pr] <= 0 {
			g.Why = "no peak RSS for " + rpod + " or " + peer
			return g
		}
		g.Rpod, g.Peer = float64(rss[rr]), float64(rss[pr])
		return g
	}
	const def, none = "rpod run --rm", "rpod run --rm --network none"
	return []world.Goal{
		timeGoal("run --rm busybox true, each tool's default network, median", def, "podman run --rm", "podman", "1/6", 1.0/6),
		timeGoal("run --rm --network none busybox true, median", none, "podman run --rm --network none", "podman", "1/8", 1.0/8),
		timeGoal("run --rm busybox true (default network) against the bubblewrap floor, median", def, "bwrap (floor)", "bwrap", "", 4),
		timeGoal("run --rm --network none busybox true against the bubblewrap floor, median", none, "bwrap (floor)", "bwrap", "", 4),
		rssGoal("peak RSS of run --rm busybox true, default network", def, "podman run --rm"),
		rssGoal("peak RSS of run --rm --network none busybox true", none, "podman run --rm --network none"),
	}
}

func orNone(why string) string {
	if why == "" {
		return "no timed runs"
	}
	return why
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
