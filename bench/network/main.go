// Command network measures rootless container networking: TCP throughput
// container -> host and host -> container (through a published port) with
// iperf3, the rate of short HTTP requests through a published port, and the
// memory of each network stack, for rpod's backends (embedded, slirp4netns,
// pasta) next to host loopback (the limit) and podman's default. It prints
// every figure with its ratio to loopback and to rpod's default backend. It
// never asserts a figure.
//
// The busybox containers get the host's iperf3: the binary, its libraries
// and the dynamic loader are bind-mounted read-only under /iperf and run as
// /iperf/ld.so --library-path /iperf /iperf/iperf3.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/network [-t 3] [-rounds 3] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/rpod/rpod/bench/internal/world"
)

func main() {
	os.Exit(mainCode())
}

// mainCode runs the benchmark; 0 unless setup or rpod's default backend fails.
func mainCode() int {
	secs := flag.Int("t", 3, "seconds of each iperf3 run and of each HTTP request loop")
	rounds := flag.Int("rounds", 3, "rounds of all measurements; each figure is the median over the rounds")
	_ = flag.Int("n", 0, "ignored (accepted so that bench/run.sh all can pass -n to every benchmark)")
	var f world.Flags
	f.Register("t", "1", "rounds", "1")
	if code := f.Parse("t", "rounds"); code != 0 {
		return code
	}
	return f.Run(func(ctx context.Context, w *world.World) int {
		b, err := setup(ctx, w, *secs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: setup:", err)
			return 1
		}
		defer b.close()
		load := world.Loadavg()
		b.run(ctx, *rounds)
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "bench:", world.ErrInterrupted)
			return 1
		}
		b.report(os.Stdout, *rounds, fmt.Sprintf("%s before, %s after", load, world.Loadavg()))
		if note := world.QuickNote(f.Quick); note != "" {
			fmt.Println(note)
		}
		if r := b.defaultRow(b.toHost); r == nil || r.why != "" {
			return 1
		}
		return 0
	})
}

// setup pushes busybox, pulls it into rpod and podman and finds iperf3 and
// its libraries.
func setup(ctx context.Context, w *world.World, secs int) (*bench, error) {
	if err := w.PushBusybox(ctx); err != nil {
		return nil, err
	}
	if out, err := w.Output(ctx, w.Rpod, "pull", "-q", "busybox"); err != nil {
		return nil, fmt.Errorf("rpod pull busybox: %v: %s", err, out)
	}
	mounts, err := iperfMounts(ctx)
	if err != nil {
		return nil, err
	}
	b := &bench{w: w, secs: secs, mounts: mounts}
	_, b.podmanWhy = w.PodmanBusybox(ctx, 400)
	return b, nil
}
