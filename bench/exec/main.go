// Command exec measures the wall time of `rpod exec CTR true` in a running
// detached container (`rpod run -d busybox sleep inf`) next to `podman exec
// CTR true`, and states issue 9's goal (rpod at most 1/4 of podman). It never
// asserts a time.
//
// It runs as an unprivileged user in a throwaway world of its own (see
// bench/internal/world). Everything is torn down at the end, also on failure.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/exec [-n 20] [-quick] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

const (
	warmups = 3
	ctrName = "bench-exec"
)

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
		rows := []*world.Row{
			{Name: "rpod exec", Argv: []string{w.Rpod, "exec", ctrName, "true"}, IsRef: true},
			podmanRow(ctx, w),
		}
		loadBefore, err := w.Measure(ctx, rows, *n, warmups, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		load := fmt.Sprintf("%s before, %s after the timed runs", loadBefore, world.Loadavg())
		report(w, rows, *n, load, world.QuickNote(f.Quick))
		return 0
	})
}

// setup pushes busybox, pulls it into rpod's store and starts rpod's
// detached container.
func setup(ctx context.Context, w *world.World) error {
	if err := w.PushBusybox(ctx); err != nil {
		return err
	}
	if out, err := w.Output(ctx, w.Rpod, "pull", "-q", "busybox"); err != nil {
		return fmt.Errorf("rpod pull busybox: %v: %s", err, world.Tail(out, 600))
	}
	if out, err := w.Output(ctx, w.Rpod, "run", "-d", "--name", ctrName, "busybox", "sleep", "inf"); err != nil {
		return fmt.Errorf("rpod run -d busybox sleep inf: %v: %s", err, world.Tail(out, 600))
	}
	return nil
}

// podmanRow starts podman's detached container and returns its exec row,
// marked unavailable if podman is missing or fails.
func podmanRow(ctx context.Context, w *world.World) *world.Row {
	podman, why := w.PodmanBusybox(ctx, 600)
	r := &world.Row{Name: "podman exec", Argv: []string{podman, "exec", ctrName, "true"}, Why: why}
	if why != "" {
		return r
	}
	if out, err := w.Output(ctx, podman, "--runtime", "runc", "run", "-d", "--name", ctrName, "busybox", "sleep", "inf"); err != nil {
		r.Why = fmt.Sprintf("podman run -d busybox sleep inf: %v: %s", err, world.Tail(out, 600))
	}
	return r
}

// report prints the environment, the table, the unavailable rows and the goal.
func report(w *world.World, rows []*world.Row, n int, load, quick string) {
	out := os.Stdout
	world.Header(out, "rpod exec benchmark", []string{world.FirstLine(w.Rpod, "version"), world.FirstLine("podman", "--version"),
		world.FirstLine("runc", "--version")}, load)
	if quick != "" {
		fmt.Fprintln(out, quick)
	}
	fmt.Fprintf(out, "one detached container per tool (run -d --name %s busybox sleep inf, each tool's default network);\n", ctrName)
	fmt.Fprintf(out, "%d timed runs per row, interleaved, after %d warm-up runs each; wall time of the whole command\n\n", n, warmups)
	world.Table(out, rows)
	fmt.Fprintln(out)
	world.Footer(out, rows)

	g := world.Goal{What: "exec CTR true in a running container, median", Unit: "ms", PeerName: "podman", Max: 0.25, MaxText: "1/4"}
	switch rr, pr := rows[0], rows[1]; {
	case pr.Why != "" || len(pr.Times) == 0:
		g.Why = "podman exec: " + pr.Why
	default:
		g.Rpod, g.Peer = ms(world.Median(rr.Times)), ms(world.Median(pr.Times))
	}
	world.Goals(out, []world.Goal{g})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
