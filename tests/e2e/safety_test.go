package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/fixture"
)

func TestConcurrentPullsOfOneImage(t *testing.T) {
	env := newWorld(t)
	const n = 4
	ids := make([]string, n)
	errs := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := run(env, nil, "pull", "-q", "multilayer")
			ids[i], errs[i] = strings.TrimSpace(r.Out), r.Err
			if r.Code != 0 {
				errs[i] = fmt.Sprintf("exit %d: %s", r.Code, r.Err)
			}
		}(i)
	}
	wg.Wait()
	for i := range ids {
		if ids[i] == "" || ids[i] != ids[0] {
			t.Errorf("pull %d: id %q (first: %q), stderr %s", i, ids[i], ids[0], errs[i])
		}
	}
	if out := ok(t, env, "images", "-q"); len(strings.Fields(out)) != 1 {
		t.Errorf("%d concurrent pulls of one image left %d images:\n%s", n, len(strings.Fields(out)), out)
	}
	ok(t, env, "run", "--rm", "multilayer", "true")
}

// chaosSeed is printed so that a failing sequence of kills can be replayed
// with RPOD_CHAOS_SEED; RPOD_CHAOS_ROUNDS makes the run longer by hand.
func chaosSeed(t *testing.T) (*rand.Rand, int) {
	seed := time.Now().UnixNano()
	if v, err := strconv.ParseInt(os.Getenv("RPOD_CHAOS_SEED"), 10, 64); err == nil {
		seed = v
	}
	rounds := 8
	if v, err := strconv.Atoi(os.Getenv("RPOD_CHAOS_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	t.Logf("chaos seed %d, %d rounds (replay with RPOD_CHAOS_SEED=%d)", seed, rounds, seed)
	return rand.New(rand.NewSource(seed)), rounds
}

func TestPullKilledAtRandomLeavesStoreUsable(t *testing.T) {
	rng, rounds := chaosSeed(t)
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	refs := make([]string, rounds)
	for i := range refs {
		dir := filepath.Join(baseDir, fmt.Sprintf("chaos-image-%d", i))
		if err := fixture.BuildRandom(dir, rng, 1, 8<<20); err != nil {
			t.Fatal(err)
		}
		refs[i] = fmt.Sprintf("%s/chaos%d:latest", regAddr, i)
		if err := fixture.Push(context.Background(), dir, refs[i]); err != nil {
			t.Fatal(err)
		}
	}
	// How long a whole pull takes here sets the range of kill times.
	start := time.Now()
	ok(t, env, "pull", "-q", refs[0])
	full := time.Since(start)
	t.Logf("a whole pull takes %v", full)

	kills := 0
	for i := 1; i < rounds; i++ {
		cmd := exec.Command(rpodBin, "pull", "-q", refs[i])
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := time.Duration(rng.Int63n(int64(full) + 1))
		time.Sleep(after)
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			kills++
		}
		cmd.Wait()
		// Whatever the kill interrupted, the next commands work.
		if r := run(env, nil, "images"); r.Code != 0 {
			t.Fatalf("round %d (killed after %v): images: %s", i, after, r.Err)
		}
		if r := run(env, nil, "run", "--rm", "busybox", "true"); r.Code != 0 {
			t.Fatalf("round %d (killed after %v): run: %s", i, after, r.Err)
		}
	}
	// Every image can then be pulled whole and run, and each is there once.
	for _, ref := range refs {
		ok(t, env, "pull", "-q", ref)
		if out := ok(t, env, "run", "--rm", ref, "sh", "-c", "wc -c < /data/random"); strings.TrimSpace(out) != strconv.Itoa(8<<20) {
			t.Errorf("%s: /data/random has %q bytes after the chaos", ref, out)
		}
	}
	if out := ok(t, env, "images", "-q"); len(strings.Fields(out)) != rounds+1 {
		t.Errorf("want %d images (busybox and %d pulled), got:\n%s", rounds+1, rounds, out)
	}
	t.Logf("%d pulls killed at random points, store consistent after each", kills)
}

func TestPullIntoFullStore(t *testing.T) {
	env := newWorld(t)
	// A small tmpfs mounted in rpod's own mount namespace: no root needed,
	// and every later rpod of this world sees it.
	small := filepath.Join(getenv(env, "XDG_DATA_HOME"), "small")
	os.MkdirAll(small, 0o700)
	ok(t, env, "unshare", "mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", small)
	root := filepath.Join(small, "graph")
	r := run(env, nil, "--root", root, "--storage-driver", "vfs", "pull", "-q", "multilayer")
	wantError(t, r, 125, "no space left on device")
	if !strings.Contains(r.Err, "free space") {
		t.Errorf("the error does not say what to do: %s", r.Err)
	}
	// After space is freed the same store works.
	ok(t, env, "unshare", "mount", "-o", "remount,size=64m", small)
	ok(t, env, "--root", root, "--storage-driver", "vfs", "pull", "-q", "multilayer")
	if out := ok(t, env, "--root", root, "--storage-driver", "vfs", "run", "--rm", "multilayer", "cat", "/data/kept.txt"); out != "kept\n" {
		t.Errorf("run after freeing space: %q", out)
	}
	ok(t, env, "unshare", "umount", "-l", small)
}

// pushRandomImages builds and pushes n images with a fresh random layer each.
func pushRandomImages(t *testing.T, rng *rand.Rand, prefix string, n, size int) []string {
	t.Helper()
	refs := make([]string, n)
	for i := range refs {
		dir := filepath.Join(baseDir, fmt.Sprintf("%s-image-%d", prefix, i))
		if err := fixture.BuildRandom(dir, rng, 1, size); err != nil {
			t.Fatal(err)
		}
		refs[i] = fmt.Sprintf("%s/%s%d:latest", regAddr, prefix, i)
		if err := fixture.Push(context.Background(), dir, refs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return refs
}

// imageIsWhole checks that a listed image runs with all of its data.
func imageIsWhole(t *testing.T, env []string, ref string, size int) {
	t.Helper()
	out := ok(t, env, "run", "--rm", ref, "sh", "-c", "wc -c < /data/random")
	if strings.TrimSpace(out) != strconv.Itoa(size) {
		t.Errorf("%s is listed but /data/random has %q bytes, want %d", ref, out, size)
	}
}

func TestRmiKilledAtRandomLeavesStoreUsable(t *testing.T) {
	rng, rounds := chaosSeed(t)
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	const size = 4 << 20
	refs := pushRandomImages(t, rng, "rmichaos", rounds, size)
	for _, ref := range refs {
		ok(t, env, "pull", "-q", ref)
	}
	start := time.Now()
	ok(t, env, "rmi", refs[0])
	full := time.Since(start)
	for i := 1; i < rounds; i++ {
		cmd := exec.Command(rpodBin, "rmi", refs[i])
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int63n(int64(full) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		// Either the image is gone or it is whole; the store works either way.
		if run(env, nil, "image", "exists", refs[i]).Code == 0 {
			imageIsWhole(t, env, refs[i], size)
		}
		ok(t, env, "run", "--rm", "busybox", "true")
	}
	// Everything can be removed and pulled again.
	for _, ref := range refs[1:] {
		if run(env, nil, "image", "exists", ref).Code == 0 {
			ok(t, env, "rmi", ref)
		}
		ok(t, env, "pull", "-q", ref)
		imageIsWhole(t, env, ref, size)
	}
}

func TestPullAndRmiRacing(t *testing.T) {
	rng, rounds := chaosSeed(t)
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	const size = 4 << 20
	ref := pushRandomImages(t, rng, "race", 1, size)[0]
	for i := 0; i < rounds; i++ {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); run(env, nil, "pull", "-q", ref) }()
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(rng.Int63n(int64(100 * time.Millisecond))))
			run(env, nil, "rmi", "-f", ref)
		}()
		wg.Wait()
		// Never a half image: listed means whole.
		if run(env, nil, "image", "exists", ref).Code == 0 {
			imageIsWhole(t, env, ref, size)
		}
		if r := run(env, nil, "images"); r.Code != 0 {
			t.Fatalf("round %d: images: %s", i, r.Err)
		}
	}
}

func TestLoadKilledAtRandomLeavesStoreUsable(t *testing.T) {
	rng, rounds := chaosSeed(t)
	src := newWorld(t)
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	const size = 4 << 20
	refs := pushRandomImages(t, rng, "loadchaos", rounds, size)
	archives := make([]string, rounds)
	for i, ref := range refs {
		ok(t, src, "pull", "-q", ref)
		archives[i] = filepath.Join(baseDir, fmt.Sprintf("loadchaos-%d.tar", i))
		ok(t, src, "save", "-q", "-o", archives[i], ref)
	}
	start := time.Now()
	ok(t, env, "load", "-q", "-i", archives[0])
	full := time.Since(start)
	for i := 1; i < rounds; i++ {
		cmd := exec.Command(rpodBin, "load", "-q", "-i", archives[i])
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int63n(int64(full) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if run(env, nil, "image", "exists", refs[i]).Code == 0 {
			imageIsWhole(t, env, refs[i], size)
		}
		ok(t, env, "run", "--rm", "busybox", "true")
	}
	for i, ref := range refs {
		ok(t, env, "load", "-q", "-i", archives[i])
		imageIsWhole(t, env, ref, size)
	}
}
