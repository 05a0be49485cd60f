// Command scale measures rpod and podman with many detached containers:
// the time to start -count idle containers (`run -d busybox sleep 1000`)
// one after the other and -batch at a time, `ps` with all of them running,
// what stays resident for them (rpod's monitor processes against podman's
// conmon and its network helpers, PSS from /proc/PID/smaps_rollup, the
// containers' own sleep left out), and the time to remove them all. It
// prints each figure for both tools with the ratio rpod / podman and states
// them as issue 9's scale figures. It never asserts a size or a time.
//
// It runs as an unprivileged user in a throwaway world of its own (see
// bench/internal/world). Everything is torn down at the end, also on failure.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/scale [-count 100] [-batch 10] [-n 10] [-quick] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

func main() {
	os.Exit(mainCode())
}

// mainCode runs the benchmark; 0 unless setup or rpod itself fails.
func mainCode() int {
	count := flag.Int("count", 100, "idle containers to start with each tool")
	batch := flag.Int("batch", 10, "containers started at a time in the concurrent start")
	n := flag.Int("n", 10, "timed runs of ps with all the containers running")
	settle := flag.Duration("settle", 5*time.Second, "wait after the last start before reading memory")
	network := flag.String("network", "default", `network of the containers: "default" (each tool's own) or a --network value both accept, such as none`)
	var f world.Flags
	f.Register("count", "10", "batch", "5", "n", "3", "settle", "2s")
	if code := f.Parse("count", "batch", "n"); code != 0 {
		return code
	}
	return f.Run(func(ctx context.Context, w *world.World) int {
		if err := w.PushBusybox(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "bench: setup:", err)
			return 1
		}
		loadBefore := world.Loadavg()
		p := params{count: *count, batch: *batch, n: *n, settle: *settle}

		if out, err := w.Output(ctx, w.Rpod, "pull", "-q", "busybox"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: rpod pull busybox: %v: %s\n", err, out)
			return 1
		}
		rr := measure(ctx, w, rpodTool(w, *network), p)
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "bench:", world.ErrInterrupted)
			return 1
		}
		if rr.Why != "" {
			fmt.Fprintln(os.Stderr, "bench: rpod:", rr.Why)
			return 1
		}

		var pr *result
		if pt, why := podmanTool(ctx, w, *network); why != "" {
			pr = &result{Tool: "podman", Why: why}
		} else {
			pr = measure(ctx, w, pt, p)
			if ctx.Err() != nil {
				fmt.Fprintln(os.Stderr, "bench:", world.ErrInterrupted)
				return 1
			}
		}

		load := fmt.Sprintf("%s before, %s after", loadBefore, world.Loadavg())
		report(os.Stdout, w, rr, pr, p, *network, load, world.QuickNote(f.Quick))
		return 0
	})
}
