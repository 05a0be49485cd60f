// Command growth measures how the cost of rpod's listing commands and of
// its start path grows with the size of the store: `rpod ps -a`, `rpod
// images` and `rpod run --rm --network none busybox true` timed with 10,
// 100 and 1000 containers and images in the store (-sizes), next to podman
// up to -podman-max. It prints the curve of medians and issue 9's growth
// figures. It never asserts a time.
//
// The containers are created, not started (`create --name gNNNN busybox
// true`); the images are one-layer images imported from a tiny tarball each
// (`import -q FILE gimgNNNN`), so that each is a distinct image with its own
// layer. Both are added, untimed, before each size is measured.
//
// It runs as an unprivileged user in a throwaway world of its own (see
// bench/internal/world). Everything is torn down at the end, also on failure.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/growth [-sizes 10,100,1000] [-podman-max 100] [-n 5] [-quick] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

const warmups = 1

func main() {
	os.Exit(mainCode())
}

// mainCode runs the benchmark; 0 unless setup or rpod itself fails.
func mainCode() int {
	sizesFlag := flag.String("sizes", "10,100,1000", "store sizes to measure at, increasing: containers and images each")
	podmanMax := flag.Int("podman-max", 100, "largest size podman is measured at (podman create and import are slow)")
	n := flag.Int("n", 5, "timed runs of each command at each size")
	workers := flag.Int("workers", 4, "create and import commands run at a time while the store grows (untimed)")
	var f world.Flags
	f.Register("sizes", "10,100", "n", "3")
	if code := f.Parse(); code != 0 {
		return code
	}
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: -sizes:", err)
		return 2
	}
	if *n < 1 || *workers < 1 {
		fmt.Fprintln(os.Stderr, "bench: -n and -workers must be at least 1")
		return 2
	}
	return f.Run(func(ctx context.Context, w *world.World) int {
		b := &bench{w: w, workers: *workers}
		if err := b.setup(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "bench: setup:", err)
			return 1
		}
		loadBefore := world.Loadavg()
		var points []*point
		failed := ""
		for _, size := range sizes {
			withPodman := b.podman != nil && size <= *podmanMax
			p, err := b.measureAt(ctx, size, withPodman, *n)
			if ctx.Err() != nil {
				fmt.Fprintln(os.Stderr, "bench:", world.ErrInterrupted)
				return 1
			}
			if err != nil {
				// Report the sizes measured so far, then fail.
				failed = fmt.Sprintf("size %d: %v", size, err)
				fmt.Fprintln(os.Stderr, "bench:", failed)
				break
			}
			points = append(points, p)
		}
		if len(points) == 0 {
			return 1
		}
		load := fmt.Sprintf("%s before, %s after", loadBefore, world.Loadavg())
		report(os.Stdout, b, points, *n, *podmanMax, load, world.QuickNote(f.Quick))
		if failed != "" {
			fmt.Printf("rpod failed at %s\n", failed)
			return 1
		}
		return 0
	})
}

// parseSizes reads a comma-separated list of increasing positive sizes.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q: want positive integers separated by commas, such as 10,100,1000", f)
		}
		if len(sizes) > 0 && v <= sizes[len(sizes)-1] {
			return nil, fmt.Errorf("%q: sizes must increase (the store only grows)", s)
		}
		sizes = append(sizes, v)
	}
	return sizes, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
