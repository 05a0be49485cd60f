package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// report prints the environment, the timing and memory tables, the notes and the goal lines.
func report(out io.Writer, w *world.World, rr, pr *result, p params, network, load, quick string) {
	world.Header(out, "rpod scale benchmark", []string{world.FirstLine(w.Rpod, "version"), world.FirstLine("podman", "--version"),
		world.FirstLine("conmon", "--version"), world.FirstLine("runc", "--version"), world.FirstLine("slirp4netns", "--version")}, load)
	if quick != "" {
		fmt.Fprintln(out, quick)
	}
	fmt.Fprintf(out, "%d idle containers per tool (run -d --name NAME busybox sleep 1000), network: %s;\n", p.count, netText(network))
	fmt.Fprintf(out, "phases, one tool after the other: start %d one after the other, rm -af -t 0; start %d, %d at a time;\n", p.count, p.count, p.batch)
	fmt.Fprintf(out, "wait %v, read /proc/PID/smaps_rollup; ps %d times (after 1 warm-up) with all running; rm -af -t 0.\n\n", p.settle, p.n)

	ok := pr != nil && pr.Why == "" && pr.Started > 0
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "figure\trpod\t")
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
	c := p.count
	row(fmt.Sprintf("start %d one by one, total s", c), func(r *result) float64 { return total(r.SeqTimes).Seconds() }, "%.2f")
	row("  start one, median ms", func(r *result) float64 { return ms(world.Median(r.SeqTimes)) }, "%.1f")
	row("  start one, max ms", func(r *result) float64 { return ms(slices.Max(r.SeqTimes)) }, "%.1f")
	row(fmt.Sprintf("  rm -af of those %d, s", c), func(r *result) float64 { return r.SeqRemove.Seconds() }, "%.2f")
	row(fmt.Sprintf("start %d, %d at a time, wall s", c, p.batch), func(r *result) float64 { return r.BatchWall.Seconds() }, "%.2f")
	row("  start one, median ms", func(r *result) float64 { return ms(world.Median(r.BatchTimes)) }, "%.1f")
	row("  start one, max ms", func(r *result) float64 { return ms(slices.Max(r.BatchTimes)) }, "%.1f")
	row(fmt.Sprintf("ps with %d running, median ms", c), func(r *result) float64 { return ms(world.Median(r.PsTimes)) }, "%.1f")
	row("  ps, p90 ms", func(r *result) float64 { return ms(world.Percentile(r.PsTimes, 0.9)) }, "%.1f")
	row("  containers ps listed", func(r *result) float64 { return float64(r.PsListed) }, "%.0f")
	row(fmt.Sprintf("rm -af of %d running, s", c), func(r *result) float64 { return r.Remove.Seconds() }, "%.2f")
	row(fmt.Sprintf("memory of all %d, PSS MiB", c), func(r *result) float64 { return float64(r.TotalPss()) / 1024 }, "%.1f")
	row("  and memfds held open, MiB", func(r *result) float64 { return float64(r.MemfdKiB) / 1024 }, "%.1f")
	row("  PSS + memfds, MiB", func(r *result) float64 { return float64(r.Total()) / 1024 }, "%.1f")
	tw.Flush()
	fmt.Fprintln(out)

	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "memory per container\trpod\t")
	if ok {
		fmt.Fprint(tw, "podman\trpod / podman\t")
	}
	fmt.Fprintln(tw)
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
	row(fmt.Sprintf("pause RSS / %d KiB", c), per(func(r *result) int64 { return r.Pause.Rss }), "%.1f")
	row(fmt.Sprintf("pause PSS / %d KiB", c), per(func(r *result) int64 { return r.Pause.Pss }), "%.1f")
	row("total RSS KiB", per(func(r *result) int64 { return r.Monitor.Rss + r.Helpers.Rss + r.Pause.Rss }), "%.0f")
	row("total PSS KiB", per(func(r *result) int64 { return r.TotalPss() }), "%.0f")
	row("memfds held open KiB", per(func(r *result) int64 { return r.MemfdKiB }), "%.0f")
	row("total PSS + memfds KiB", per(func(r *result) int64 { return r.Total() }), "%.0f")
	tw.Flush()

	fmt.Fprintln(out)
	fmt.Fprintln(out, "RSS counts shared pages (the executable, libraries) in full in every process; PSS divides each shared")
	fmt.Fprintln(out, "page among the processes mapping it, so PSS sums to the real total; USS is the process's private pages.")
	fmt.Fprintln(out, "Helpers: the world's processes that appeared with the containers, neither a monitor nor in a container")
	fmt.Fprintln(out, "(podman's slirp4netns, rootlessport). The pause process holds the user namespace for all containers.")
	fmt.Fprintln(out, "memfds: memory files these processes hold open (counted once each, allocated size): resident, yet in no")
	fmt.Fprintln(out, "smaps line unless mapped, so not in PSS.")
	for _, r := range []*result{rr, pr} {
		if r == nil {
			continue
		}
		if r.Why != "" {
			fmt.Fprintf(out, "%s: unavailable: %s\n", r.Tool, r.Why)
			continue
		}
		fmt.Fprintf(out, "%s: largest monitor: RSS %d, PSS %d, USS %d KiB; helpers: %s; pause process found: %v; other processes of the world (not counted): %s\n",
			r.Tool, r.MonitorMax.Rss, r.MonitorMax.Pss, r.MonitorMax.Uss, names(r.Helper), r.PauseFound, names(r.Others))
	}
	world.Goals(out, goals(rr, pr, p))
}

// goals states issue 9's scale figures; the issue sets no bound on them, only "each against podman".
func goals(rr, pr *result, p params) []world.Goal {
	c := p.count
	figs := []struct {
		what, unit string
		get        func(*result) float64
	}{
		{fmt.Sprintf("start %d detached containers one after the other, total", c), "s", func(r *result) float64 { return total(r.SeqTimes).Seconds() }},
		{fmt.Sprintf("start %d detached containers %d at a time, wall", c, p.batch), "s", func(r *result) float64 { return r.BatchWall.Seconds() }},
		{fmt.Sprintf("ps with %d containers running, median", c), "ms", func(r *result) float64 { return ms(world.Median(r.PsTimes)) }},
		{fmt.Sprintf("resident memory of %d containers' processes (monitors, helpers, pause: PSS + memfds)", c), "MiB", func(r *result) float64 { return float64(r.Total()) / 1024 }},
		{fmt.Sprintf("rm -af of %d running containers", c), "s", func(r *result) float64 { return r.Remove.Seconds() }},
	}
	var gs []world.Goal
	for _, f := range figs {
		g := world.Goal{What: f.what, Unit: f.unit, PeerName: "podman"}
		if pr == nil || pr.Why != "" {
			g.Why = "podman unavailable"
		} else {
			g.Rpod, g.Peer = f.get(rr), f.get(pr)
		}
		gs = append(gs, g)
	}
	return gs
}

func netText(network string) string {
	if network == "default" {
		return "each tool's default (rpod: its default backend; podman 4.3: slirp4netns)"
	}
	return "--network " + network + " for both"
}

func total(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
