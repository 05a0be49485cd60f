// Command monitor measures what stays resident for each idle detached
// container: rpod's monitor process (`rpod-monitor`, plus rpod's pause
// process shared by all containers) against podman's conmon (plus any
// helper and podman's pause process), for -count containers of each started
// with `run -d busybox sleep 1000`. The containers' own command (sleep) is
// not counted. It prints RSS, PSS and USS per container from
// /proc/PID/smaps_rollup, the ratios rpod/podman and the time taken to
// start them all. It never asserts a size or a time.
//
// It runs as an unprivileged user in a throwaway world of its own (see
// bench/internal/world). Everything is torn down at the end, also on failure.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/monitor [-count 50] [-settle 5s] [-rpod PATH]
package main

import (
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
	count := flag.Int("count", 50, "idle containers to start with each tool")
	settle := flag.Duration("settle", 5*time.Second, "wait after the last start before reading memory")
	rpodFlag := flag.String("rpod", "", "rpod binary (default: go build ./cmd/rpod into the temporary directory)")
	keep := flag.Bool("keep", false, "keep the temporary directory (the stores are still removed)")
	flag.Int("n", 0, "ignored: accepted so that `bench/run.sh all -n N` can pass it to every benchmark")
	flag.Parse()
	if *count < 1 {
		fmt.Fprintln(os.Stderr, "bench: -count must be at least 1")
		return 2
	}
	ctx, w, end, code := world.Begin(*keep)
	if code != 0 {
		return code
	}
	defer end()

	if err := w.Setup(ctx, *rpodFlag); err != nil {
		fmt.Fprintln(os.Stderr, "bench: setup:", err)
		return 1
	}
	if err := w.PushBusybox(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench: setup:", err)
		return 1
	}
	loadBefore := world.Loadavg()

	rp := rpodTool(w)
	if out, err := w.Output(ctx, w.Rpod, "pull", "-q", "busybox"); err != nil {
		fmt.Fprintf(os.Stderr, "bench: rpod pull busybox: %v: %s\n", err, out)
		return 1
	}
	rr := measure(ctx, w, rp, *count, *settle)
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench:", world.ErrInterrupted)
		return 1
	}
	if rr.Why != "" {
		fmt.Fprintln(os.Stderr, "bench: rpod:", rr.Why)
		return 1
	}

	var pr *result
	if pt, why := podmanTool(ctx, w); why != "" {
		pr = &result{Tool: "podman", Why: why}
	} else {
		pr = measure(ctx, w, pt, *count, *settle)
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "bench:", world.ErrInterrupted)
			return 1
		}
	}

	load := fmt.Sprintf("%s before, %s after", loadBefore, world.Loadavg())
	report(os.Stdout, w, rr, pr, *count, *settle, load)
	return 0
}
