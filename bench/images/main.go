// Command images measures the wall time of listing a store of 200 images
// with `rpod images` and `podman images` (and their -q forms), and prints
// the medians as ratios to rpod's. It never asserts a time.
//
// The images are 200 small distinct ones, busybox plus a tiny random layer
// each, pushed to a local registry and pulled, untimed, into rpod's and
// podman's stores.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/images [-n 10] [-count 200] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
	"github.com/rpod/rpod/internal/fixture"
)

const (
	warmups   = 3
	layerSize = 1024 // bytes of random data in each image's own layer
)

func main() {
	os.Exit(mainCode())
}

// mainCode runs the benchmark; 0 unless setup or rpod itself fails.
func mainCode() int {
	n := flag.Int("n", 10, "timed runs of each command")
	count := flag.Int("count", 200, "images in each store")
	seed := flag.Int64("seed", 1, "seed of the random data")
	var f world.Flags
	f.Register("count", "20", "n", "3")
	if code := f.Parse("n", "count"); code != 0 {
		return code
	}
	return f.Run(func(ctx context.Context, w *world.World) int {
		refs, err := setup(ctx, w, *count, *seed)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: setup:", err)
			return 1
		}
		rows := rows(ctx, w, refs)

		listed := map[*world.Row]string{}
		for _, r := range rows {
			if r.Why == "" {
				listed[r] = countListed(ctx, w, r)
			}
		}
		loadBefore, err := w.Measure(ctx, rows, *n, warmups, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		load := fmt.Sprintf("%s before, %s after the timed runs", loadBefore, world.Loadavg())
		report(w, rows, *count, *n, load, listed)
		if note := world.QuickNote(f.Quick); note != "" {
			fmt.Println(note)
		}
		return 0
	})
}

// setup builds and pushes count images and pulls them into rpod's store.
func setup(ctx context.Context, w *world.World, count int, seed int64) ([]string, error) {
	start := time.Now()
	refs := make([]string, count)
	rngs := make([]*rand.Rand, count)
	master := rand.New(rand.NewSource(seed))
	for i := range refs {
		refs[i] = fmt.Sprintf("%s/img%03d:latest", w.Reg.Addr, i)
		rngs[i] = rand.New(rand.NewSource(master.Int63()))
	}
	// Building recompresses busybox's layer for every image: spread it over the CPUs.
	err := world.Parallel(count, 4, func(i int) error {
		layout := filepath.Join(w.Dir, "layouts", strconv.Itoa(i))
		if err := fixture.BuildRandom(layout, rngs[i], 1, layerSize); err != nil {
			return err
		}
		if err := fixture.Push(ctx, layout, refs[i]); err != nil {
			return err
		}
		return os.RemoveAll(layout)
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: built and pushed %d images in %v\n", count, time.Since(start).Round(time.Second))

	start = time.Now()
	for _, ref := range refs {
		if out, err := w.Output(ctx, w.Rpod, "pull", "-q", ref); err != nil {
			return nil, fmt.Errorf("rpod pull %s: %v: %s", ref, err, world.Tail(out, 600))
		}
	}
	fmt.Fprintf(os.Stderr, "bench: rpod pulled %d images in %v\n", count, time.Since(start).Round(time.Second))
	return refs, nil
}

// rows lists the commands to time; podman is marked unavailable if it is missing or cannot pull.
func rows(ctx context.Context, w *world.World, refs []string) []*world.Row {
	podman, err := w.FindPodman()
	rows := []*world.Row{
		{Name: "rpod images", Argv: []string{w.Rpod, "images"}, IsRef: true},
		{Name: "podman images", Argv: []string{podman, "images"}},
		{Name: "rpod images -q", Argv: []string{w.Rpod, "images", "-q"}},
		{Name: "podman images -q", Argv: []string{podman, "images", "-q"}},
	}
	why := ""
	if err != nil {
		why = "podman not found"
	} else {
		start := time.Now()
		for _, ref := range refs {
			if out, err := w.Output(ctx, podman, "pull", "-q", ref); err != nil {
				why = fmt.Sprintf("podman pull %s: %v: %s", ref, err, world.Tail(out, 600))
				break
			}
		}
		if why == "" {
			fmt.Fprintf(os.Stderr, "bench: podman pulled %d images in %v\n", len(refs), time.Since(start).Round(time.Second))
		}
	}
	rows[1].Why, rows[3].Why = why, why
	return rows
}

// countListed runs r's command once, untimed, and says how many images it listed:
// its lines of output, less the heading unless -q.
func countListed(ctx context.Context, w *world.World, r *world.Row) string {
	cmd := exec.CommandContext(ctx, r.Argv[0], r.Argv[1:]...)
	cmd.Env, cmd.Dir = w.Env, w.Dir
	out, err := cmd.Output()
	if err != nil {
		return "? (" + err.Error() + ")"
	}
	lines := strings.Count(strings.TrimRight(string(out), "\n"), "\n") + 1
	if !strings.HasSuffix(r.Name, "-q") {
		lines--
	}
	return strconv.Itoa(lines)
}

// report prints the environment, the table and the unavailable rows.
func report(w *world.World, rows []*world.Row, count, n int, load string, listed map[*world.Row]string) {
	out := os.Stdout
	world.Header(out, "rpod images benchmark", []string{world.FirstLine(w.Rpod, "version"), world.FirstLine("podman", "--version")}, load)
	fmt.Fprintf(out, "store: %d images in each of rpod's and podman's stores, busybox plus a %d-byte random layer each; storage drivers: rpod %s, podman %s\n",
		count, layerSize, world.StoreDriver(filepath.Join(w.RpodStore(), "storage")), world.StoreDriver(filepath.Join(w.PodmanStore(), "storage")))
	fmt.Fprintf(out, "%d timed runs per row, interleaved, after %d warm-up runs each; wall time of the whole command, stdout to /dev/null\n\n", n, warmups)
	world.Table(out, rows, world.Column{Head: "images listed", Value: func(r *world.Row) string { return listed[r] }})
	fmt.Fprintln(out)
	world.Footer(out, rows)
}
