package stress

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// worker is one of the concurrent rpods' owners: what it created and kept.
type worker struct {
	n       int
	rng     *rand.Rand
	running []string      // its containers it left running
	exited  []string      // its containers it left stopped
	tags    []string      // its tags of busybox
	next    int           // for unique names
	fails   []string      // commands that failed where they must not
	ops     *atomic.Int64 // commands run, all workers
	env     []string
}

func (w *worker) name(kind string) string {
	w.next++
	return fmt.Sprintf("w%02d-%s%d", w.n, kind, w.next)
}

// do runs one command that must succeed.
func (w *worker) do(args ...string) (string, bool) {
	w.ops.Add(1)
	r := run(w.env, args...)
	if r.Code != 0 {
		w.fails = append(w.fails, fmt.Sprintf("%s: exit %d: %s", cmdline(args), r.Code, firstLine(r.Err)))
		return "", false
	}
	return strings.TrimSpace(r.Out), true
}

func pick(rng *rand.Rand, s []string) (string, int) {
	i := rng.Intn(len(s))
	return s[i], i
}

func drop(s []string, i int) []string { return append(s[:i:i], s[i+1:]...) }

// step runs one random operation.
func (w *worker) step() {
	switch k := w.rng.Intn(100); {
	case k < 18: // a foreground container
		if out, ok := w.do("run", "--rm", "busybox", "sh", "-c", "echo hi"); ok && out != "hi" {
			w.fails = append(w.fails, fmt.Sprintf("run --rm: output %q, want hi", out))
		}
	case k < 32: // a detached one, kept or removed at once
		n := w.name("d")
		if _, ok := w.do("run", "-d", "--name", n, "busybox", "sleep", "3600"); !ok {
			return
		}
		if w.rng.Intn(2) == 0 {
			w.do("rm", "-f", n)
		} else {
			w.running = append(w.running, n)
		}
	case k < 46: // the long way round
		n := w.name("c")
		if _, ok := w.do("create", "--name", n, "busybox", "sleep", "3600"); !ok {
			return
		}
		if _, ok := w.do("start", n); !ok {
			w.exited = append(w.exited, n) // accounted for as whatever it is
			return
		}
		w.do("exec", n, "true")
		w.do("stop", "-t", "0", n)
		if w.rng.Intn(2) == 0 {
			w.do("rm", n)
		} else {
			w.exited = append(w.exited, n)
		}
	case k < 56: // exec into one of its own
		if len(w.running) == 0 {
			w.do("run", "--rm", "busybox", "true")
			return
		}
		n, _ := pick(w.rng, w.running)
		if out, ok := w.do("exec", n, "cat", "/etc/hostname"); ok && out == "" {
			w.fails = append(w.fails, "exec "+n+": empty hostname")
		}
	case k < 64: // remove one of its own
		if len(w.running) > 0 && w.rng.Intn(2) == 0 {
			n, i := pick(w.rng, w.running)
			if _, ok := w.do("rm", "-f", n); ok {
				w.running = drop(w.running, i)
			}
		} else if len(w.exited) > 0 {
			n, i := pick(w.rng, w.exited)
			if _, ok := w.do("rm", n); ok {
				w.exited = drop(w.exited, i)
			}
		}
	case k < 74: // pull the shared image (another worker may be removing it)
		w.do("pull", "-q", "multilayer")
	case k < 78: // remove the shared image: it may be gone already
		w.ops.Add(1)
		r := run(w.env, "rmi", "multilayer")
		if r.Code != 0 && !strings.Contains(r.Err, "not known") && !strings.Contains(r.Err, "no image") &&
			!strings.Contains(strings.ToLower(r.Err), "not found") {
			w.fails = append(w.fails, fmt.Sprintf("rmi multilayer: exit %d: %s", r.Code, firstLine(r.Err)))
		}
	case k < 90: // a tag of its own
		n := "localhost/" + w.name("t") + ":v1"
		if _, ok := w.do("tag", "busybox", n); ok {
			w.tags = append(w.tags, n)
		}
	default: // and away with one
		if len(w.tags) == 0 {
			w.do("images", "-q")
			return
		}
		n, i := pick(w.rng, w.tags)
		if _, ok := w.do("rmi", n); ok {
			w.tags = drop(w.tags, i)
		}
	}
}

// TestConcurrency runs 20 rpods at once in one store, creating, running,
// removing containers and pulling, tagging and removing images; then every
// container and image is accounted for, no rootfs mount is left behind and
// the store's locks are free.
func TestConcurrency(t *testing.T) {
	sd := seed(t)
	env := suite.NewWorld(t)
	if r := run(env, "pull", "-q", "busybox"); r.Code != 0 {
		t.Fatalf("pull busybox: %s", r.Err)
	}
	workers, steps := 20, 8
	if big() {
		steps = 40
	}
	var ops atomic.Int64
	ws := make([]*worker, workers)
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = &worker{n: i, rng: rand.New(rand.NewSource(sd + int64(i))), ops: &ops, env: env}
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for s := 0; s < steps; s++ {
				w.step()
			}
		}(ws[i])
	}
	wg.Wait()
	lost := 0
	for _, w := range ws {
		for _, f := range w.fails {
			t.Errorf("worker %d: %s", w.n, f)
		}
	}

	// A stale lock shows as a hang: each of these has hangLimit.
	for _, args := range [][]string{{"ps", "-a"}, {"images"}, {"run", "--rm", "busybox", "true"}} {
		if r := run(env, args...); r.Code != 0 {
			t.Errorf("after the storm, %s: exit %d: %s", cmdline(args), r.Code, r.Err)
		}
	}

	cs, err := containers(env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, w := range ws {
		for _, n := range w.running {
			want[n] = "running"
		}
		for _, n := range w.exited {
			want[n] = "exited"
		}
	}
	for n, st := range want {
		c, ok := cs[n]
		switch {
		case !ok:
			lost++
			t.Errorf("container %s (%s) is lost", n, st)
		case c.State != st:
			t.Errorf("container %s is %s (%s), want %s", n, c.State, c.Status, st)
		}
	}
	for n, c := range cs {
		if _, ok := want[n]; !ok {
			t.Errorf("container %s (%s) is left over: nobody kept it", n, c.Status)
		}
	}
	ims, err := images(env)
	if err != nil {
		t.Fatal(err)
	}
	wantImg := map[string]bool{regAddr + "/busybox:latest": true}
	for _, w := range ws {
		for _, n := range w.tags {
			wantImg[n] = true
		}
	}
	for n := range wantImg {
		if _, ok := ims[n]; !ok {
			lost++
			t.Errorf("image %s is lost", n)
		}
	}
	for n, im := range ims {
		if !wantImg[n] && n != regAddr+"/multilayer:latest" {
			t.Errorf("image %s (%.12s) is left over", n, im.ID)
		}
	}
	// Every image still has its layers: a container of it runs.
	if _, ok := ims[regAddr+"/multilayer:latest"]; ok {
		if r := run(env, "run", "--rm", "multilayer", "cat", "/etc/passwd"); r.Code != 0 {
			t.Errorf("multilayer is listed but does not run: %s", r.Err)
		}
	}
	for _, b := range checkMounts(env, cs) {
		t.Error(b)
	}

	// All of it comes down cleanly.
	if r := run(env, "rm", "-af"); r.Code != 0 {
		t.Errorf("rm -af: %s", r.Err)
	}
	if mounts, err := overlayMounts(env); err != nil || len(mounts) > 0 {
		t.Errorf("after rm -af, rootfs mounts left: %v %v", mounts, err)
	}
	var left []string
	for pid, c := range worldProcs(env) {
		if strings.HasPrefix(c, "rpod-monitor") {
			left = append(left, fmt.Sprintf("%d %s", pid, c))
		}
	}
	sort.Strings(left)
	if len(left) > 0 {
		t.Errorf("monitors left after rm -af: %v", left)
	}
	kept := 0
	for _, w := range ws {
		kept += len(w.running) + len(w.exited)
	}
	t.Logf("concurrency: %d workers, %d rpod commands, %d containers and %d tags kept, %d lost", workers, ops.Load(), kept, len(wantImg)-1, lost)
}
