// Command pull measures the wall time of pulling a five-layer image of about
// 50 MB from a local registry into an empty store with `rpod pull`,
// `podman pull` and `skopeo copy docker://... containers-storage:...`, and
// prints each median, its ratio to rpod's and the rate in MB/s. It never
// asserts a time.
//
// Every run, warm-up or timed, starts from empty stores: rpod's and podman's
// data directories (store and blob-info cache) are removed, untimed, with
// `rpod unshare rm -rf` and `podman unshare rm -rf`. skopeo writes podman's
// store.
//
// Usage (see bench/README.md; as root use bench/run.sh):
//
//	go run -tags "exclude_graphdriver_btrfs containers_image_openpgp" ./bench/pull [-n 5] [-rpod PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
	"github.com/rpod/rpod/internal/fixture"
)

const warmups = 1

func main() {
	os.Exit(mainCode())
}

// image is what is pulled.
type image struct {
	ref    string // registry/name:tag
	layers int    // including busybox's
	bytes  int64  // manifest, config and compressed layers: what a pull downloads
}

// mainCode runs the benchmark; 0 unless setup or rpod itself fails.
func mainCode() int {
	n := flag.Int("n", 5, "timed runs of each command")
	layers := flag.Int("layers", 4, "random layers on top of busybox's")
	layerSize := flag.Int("layer-size", 12_000_000, "bytes of random data in each random layer")
	seed := flag.Int64("seed", 1, "seed of the random data")
	var f world.Flags
	f.Register("n", "1", "layers", "2", "layer-size", "2000000")
	if code := f.Parse("n", "layers", "layer-size"); code != 0 {
		return code
	}
	return f.Run(func(ctx context.Context, w *world.World) int {
		img, err := setup(ctx, w, *layers, *layerSize, *seed)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: setup:", err)
			return 1
		}
		rows := rows(w, img)

		reset := func(*world.Row) error { return w.RemoveStores(ctx) }
		loadBefore, err := w.Measure(ctx, rows, *n, warmups, reset)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		load := fmt.Sprintf("%s before, %s after the timed runs", loadBefore, world.Loadavg())
		drivers := drivers(ctx, w, rows, reset)
		report(w, rows, img, *n, load, drivers)
		if note := world.QuickNote(f.Quick); note != "" {
			fmt.Println(note)
		}
		return 0
	})
}

// setup builds the image and pushes it.
func setup(ctx context.Context, w *world.World, layers, layerSize int, seed int64) (image, error) {
	w.FindPodman()
	layout := filepath.Join(w.Dir, "pull-layout")
	if err := fixture.BuildRandom(layout, rand.New(rand.NewSource(seed)), layers, layerSize); err != nil {
		return image{}, err
	}
	img := image{ref: w.Reg.Addr + "/pull:latest", layers: layers + 1}
	err := filepath.WalkDir(filepath.Join(layout, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		img.bytes += info.Size()
		return err
	})
	if err != nil {
		return image{}, err
	}
	return img, fixture.Push(ctx, layout, img.ref)
}

// rows lists the commands to time; missing peers are marked unavailable.
//
// With no storage.conf, podman 4.3 and skopeo 1.9 choose vfs on this kind of
// host, while rpod's probe chooses kernel overlay; vfs copies every lower
// layer into each new one, so each peer also runs with overlay forced.
func rows(w *world.World, img image) []*world.Row {
	graph := filepath.Join(w.PodmanStore(), "storage")
	run := filepath.Join(w.RunDir, "containers")
	skopeo, skErr := world.LookPath("skopeo")
	rows := []*world.Row{
		{Name: "rpod pull", Argv: []string{w.Rpod, "pull", img.ref}, IsRef: true},
		{Name: "podman pull", Argv: []string{w.Podman, "pull", img.ref}},
		{Name: "podman pull (overlay)", Argv: []string{w.Podman, "--storage-driver", "overlay", "pull", img.ref}},
		{Name: "skopeo copy", Argv: []string{skopeo, "copy", "--src-tls-verify=false",
			"docker://" + img.ref, "containers-storage:" + img.ref}},
		{Name: "skopeo copy (overlay)", Argv: []string{skopeo, "copy", "--src-tls-verify=false",
			"docker://" + img.ref, "containers-storage:[overlay@" + graph + "+" + run + "]" + img.ref}},
	}
	for _, r := range rows[3:] {
		if skErr != nil {
			r.Why = "skopeo not found (Debian package skopeo)"
		}
	}
	if w.Podman == "" {
		for _, r := range rows[1:3] {
			r.Argv[0] = "podman"
			r.Why = "podman not found"
		}
		// Only podman can remove the store skopeo writes, so there is no empty store to start each run from.
		for _, r := range rows[3:] {
			if r.Why == "" {
				r.Why = "podman not found, and podman unshare is needed to empty podman's store between runs"
			}
		}
	}
	return rows
}

// drivers pulls once more with each available row, untimed, and reads from
// the store which storage driver the pull used.
func drivers(ctx context.Context, w *world.World, rows []*world.Row, reset func(*world.Row) error) map[*world.Row]string {
	got := map[*world.Row]string{}
	for _, r := range rows {
		if r.Why != "" {
			continue
		}
		if err := reset(r); err != nil {
			got[r] = "? (" + err.Error() + ")"
			continue
		}
		if _, err := w.RunOnce(ctx, r); err != nil {
			got[r] = "? (" + err.Error() + ")"
			continue
		}
		root := filepath.Join(w.PodmanStore(), "storage")
		if r.IsRef {
			root = filepath.Join(w.RpodStore(), "storage")
		}
		got[r] = world.StoreDriver(root)
	}
	return got
}

// report prints the environment, the table and the unavailable rows.
func report(w *world.World, rows []*world.Row, img image, n int, load string, drivers map[*world.Row]string) {
	out := os.Stdout
	world.Header(out, "rpod pull benchmark", []string{world.FirstLine(w.Rpod, "version"), world.FirstLine("podman", "--version"),
		world.FirstLine("skopeo", "--version")}, load)
	fmt.Fprintf(out, "image: %s, %d layers (busybox and random data), %.1f MB to download (manifest, config, gzip layers)\n",
		img.ref, img.layers, float64(img.bytes)/1e6)
	fmt.Fprintf(out, "%d timed runs per row, interleaved, after %d warm-up run each; every run starts from empty stores; wall time of the whole command\n\n",
		n, warmups)
	world.Table(out, rows,
		world.Column{Head: "MB/s (download size / median)", Value: func(r *world.Row) string {
			return fmt.Sprintf("%.1f", float64(img.bytes)/1e6/(float64(world.Median(r.Times))/float64(time.Second)))
		}},
		world.Column{Head: "storage driver", Value: func(r *world.Row) string { return drivers[r] }})
	fmt.Fprintln(out)
	world.Footer(out, rows)
}
