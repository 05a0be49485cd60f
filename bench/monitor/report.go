package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// report prints the environment, the per-container table and the notes.
func report(out io.Writer, w *world.World, rr, pr *result, count int, settle time.Duration, load string) {
	world.Header(out, "rpod monitor benchmark", []string{world.FirstLine(w.Rpod, "version"), world.FirstLine("podman", "--version"),
		world.FirstLine("conmon", "--version"), world.FirstLine("runc", "--version")}, load)
	fmt.Fprintf(out, "%d idle containers per tool (run -d busybox sleep 1000), started one after the other; memory read from\n", count)
	fmt.Fprintf(out, "/proc/PID/smaps_rollup %v after the last start, then the containers are removed before the next tool starts.\n", settle)
	fmt.Fprintln(out, "network: rpod has no network yet (its containers get a new network namespace with loopback only);")
	fmt.Fprintln(out, "podman runs with --network none, the like-for-like peer (no slirp4netns, no rootlessport).")
	fmt.Fprintln(out)

	ok := pr != nil && pr.Why == "" && pr.Started > 0
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "per container\trpod\t")
	if ok {
		fmt.Fprint(tw, "podman\trpod / podman\t")
	}
	fmt.Fprintln(tw)
	row := func(name string, get func(*result) float64, format string) {
		rv := get(rr)
		fmt.Fprintf(tw, "%s\t"+format+"\t", name, rv)
		if ok {
			pv := get(pr)
			ratio := "-"
			if pv > 0 {
				ratio = fmt.Sprintf("%.2fx", rv/pv)
			}
			fmt.Fprintf(tw, format+"\t%s\t", pv, ratio)
		}
		fmt.Fprintln(tw)
	}
	per := func(f func(*result) int64) func(*result) float64 {
		return func(r *result) float64 { return float64(f(r)) / float64(r.Started) }
	}
	row("monitor RSS KiB", per(func(r *result) int64 { return r.Monitor.Rss }), "%.0f")
	row("monitor PSS KiB", per(func(r *result) int64 { return r.Monitor.Pss }), "%.0f")
	row("  of which anonymous", per(func(r *result) int64 { return r.Monitor.PssAnon }), "%.0f")
	row("  of which file pages", per(func(r *result) int64 { return r.Monitor.PssFile }), "%.0f")
	row("monitor USS KiB", per(func(r *result) int64 { return r.Monitor.Uss }), "%.0f")
	row("monitor threads", per(func(r *result) int64 { return int64(r.Threads) }), "%.1f")
	row("helpers RSS KiB", per(func(r *result) int64 { return r.Helpers.Rss }), "%.0f")
	row("helpers PSS KiB", per(func(r *result) int64 { return r.Helpers.Pss }), "%.0f")
	row(fmt.Sprintf("pause RSS / %d KiB", count), per(func(r *result) int64 { return r.Pause.Rss }), "%.1f")
	row(fmt.Sprintf("pause PSS / %d KiB", count), per(func(r *result) int64 { return r.Pause.Pss }), "%.1f")
	row("total RSS KiB", per(func(r *result) int64 { return r.Monitor.Rss + r.Helpers.Rss + r.Pause.Rss }), "%.0f")
	row("total PSS KiB", per(func(r *result) int64 { return r.Monitor.Pss + r.Helpers.Pss + r.Pause.Pss }), "%.0f")
	row(fmt.Sprintf("start %d, total s", count), func(r *result) float64 { return total(r.StartTimes).Seconds() }, "%.2f")
	row("start one, median ms", func(r *result) float64 { return ms(world.Median(r.StartTimes)) }, "%.1f")
	row("start one, max ms", func(r *result) float64 { return ms(slices.Max(r.StartTimes)) }, "%.1f")
	tw.Flush()

	fmt.Fprintln(out)
	fmt.Fprintln(out, "RSS counts shared pages (the executable, libraries) in full in every process; PSS divides each shared")
	fmt.Fprintln(out, "page among the processes mapping it, so PSS sums to the real total; USS is the process's private pages.")
	fmt.Fprintln(out, "The pause process holds the user namespace for all containers and is divided by the container count.")
	for _, r := range []*result{rr, pr} {
		if r == nil {
			continue
		}
		if r.Why != "" {
			fmt.Fprintf(out, "%s: unavailable: %s\n", r.Tool, r.Why)
			continue
		}
		fmt.Fprintf(out, "%s: largest monitor: RSS %d, PSS %d, USS %d KiB; helpers per container: %s; pause process found: %v; other processes of the world (not counted): %s\n",
			r.Tool, r.MonitorMax.Rss, r.MonitorMax.Pss, r.MonitorMax.Uss, names(r.Helper), r.PauseFound, names(r.Others))
	}
}

func total(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
