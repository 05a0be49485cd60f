package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// params are the benchmark's sizes.
type params struct {
	count, batch, n int
	settle          time.Duration
}

// result is what measure found for one tool.
type result struct {
	Tool       string
	Why        string // non-empty: unavailable, and why
	Started    int
	SeqTimes   []time.Duration // each run -d of the sequential start
	SeqRemove  time.Duration   // rm -af of the sequentially started containers
	BatchWall  time.Duration   // wall time of the concurrent start, all of it
	BatchTimes []time.Duration // each run -d of the concurrent start
	PsTimes    []time.Duration // ps with all the containers running
	PsListed   int             // containers ps listed
	Remove     time.Duration   // rm -af of the concurrently started containers
	Monitor    world.Mem       // summed over the containers' monitors
	Threads    int             // summed over the monitors
	Helpers    world.Mem       // other processes resident for the containers, summed
	Helper     map[string]int
	Pause      world.Mem // the pause process, shared by all containers
	PauseFound bool
	Others     map[string]int // the world's other processes, left out of the sums
	MonitorMax world.Mem      // the largest single monitor, by PSS
	MemfdKiB   int64          // memfd files the monitors, helpers and pause process hold open (not in PSS)
}

// TotalPss is the memory mapped by what stays resident for all the containers: monitors, helpers and the pause process.
func (r *result) TotalPss() int64 { return r.Monitor.Pss + r.Helpers.Pss + r.Pause.Pss }

// Total is TotalPss plus the memfds they hold open: all the memory resident for the containers.
func (r *result) Total() int64 { return r.TotalPss() + r.MemfdKiB }

// measure runs every phase for one tool: count containers started one after
// the other, then removed (timed); count started batch at a time; after
// settle, the memory of everything resident for them; ps timed n times;
// and their removal, timed. The tool's containers are gone when it returns.
func measure(ctx context.Context, w *world.World, t *tool, p params) *result {
	r := &result{Tool: t.Name, Helper: map[string]int{}, Others: map[string]int{}}
	removed := false
	defer func() {
		if removed {
			return
		}
		if out, err := w.Output(context.Background(), t.RemoveAll[0], t.RemoveAll[1:]...); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: removing the containers: %v: %s\n", t.Name, err, world.Tail(out, 400))
		}
	}()
	progress := func(what string) { fmt.Fprintf(os.Stderr, "bench: %s: %s\n", t.Name, what) }

	progress(fmt.Sprintf("starting %d containers one after the other", p.count))
	for i := 0; i < p.count; i++ {
		_, d, err := start(ctx, w, t, fmt.Sprintf("seq%04d", i))
		if err != nil {
			r.Why = fmt.Sprintf("sequential start, container %d: %v", i+1, err)
			return r
		}
		r.SeqTimes = append(r.SeqTimes, d)
	}
	d, err := timed(ctx, w, t.RemoveAll)
	if err != nil {
		r.Why = fmt.Sprintf("removing the sequentially started containers: %v", err)
		return r
	}
	r.SeqRemove = d

	progress(fmt.Sprintf("starting %d containers %d at a time", p.count, p.batch))
	before := world.ProcTable()
	ids := make([]string, p.count)
	times := make([]time.Duration, p.count)
	begin := time.Now()
	err = world.Parallel(p.count, p.batch, func(i int) error {
		id, d, err := start(ctx, w, t, fmt.Sprintf("par%04d", i))
		if err != nil {
			return fmt.Errorf("container %d: %w", i+1, err)
		}
		ids[i], times[i] = id, d
		return nil
	})
	r.BatchWall = time.Since(begin)
	if err != nil {
		r.Why = fmt.Sprintf("concurrent start: %v", err)
		return r
	}
	r.BatchTimes, r.Started = times, len(ids)

	select {
	case <-ctx.Done():
		return r
	case <-time.After(p.settle):
	}
	if why := readMemory(ctx, w, t, r, ids, before); why != "" {
		r.Why = why
		return r
	}

	progress(fmt.Sprintf("timing ps with %d containers running", p.count))
	r.PsListed = listed(ctx, w, t.Ps)
	ps := &world.Row{Name: t.Name + " ps", Argv: t.Ps, IsRef: true}
	if _, err := w.Measure(ctx, []*world.Row{ps}, p.n, 1, nil); err != nil {
		r.Why = fmt.Sprintf("ps: %v", err)
		return r
	}
	r.PsTimes = ps.Times

	progress(fmt.Sprintf("removing %d containers", p.count))
	removed = true
	if r.Remove, err = timed(ctx, w, t.RemoveAll); err != nil {
		r.Why = fmt.Sprintf("removing the containers: %v", err)
	}
	return r
}

// start runs one `run -d NAME busybox sleep 1000` and returns the id it printed and its wall time.
func start(ctx context.Context, w *world.World, t *tool, name string) (string, time.Duration, error) {
	argv := append(append([]string{}, t.Run...), "--name", name, "busybox", "sleep", "1000")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = w.Env, w.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	begin := time.Now()
	out, err := cmd.Output()
	d := time.Since(begin)
	if err != nil {
		return "", d, fmt.Errorf("%v: %s", err, world.Tail(stderr.String(), 600))
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return "", d, fmt.Errorf("run -d printed no id")
	}
	return f[len(f)-1], d, nil
}

// timed runs argv once in the world and returns its wall time.
func timed(ctx context.Context, w *world.World, argv []string) (time.Duration, error) {
	return w.RunOnce(ctx, &world.Row{Name: argv[0], Argv: argv})
}

// listed runs a ps command and counts the lines after the heading; -1 on failure.
func listed(ctx context.Context, w *world.World, argv []string) int {
	out, err := w.Output(ctx, argv[0], argv[1:]...)
	if err != nil {
		return -1
	}
	return strings.Count(strings.TrimRight(out, "\n"), "\n")
}

// readMemory sums the PSS of the containers' monitors, of the world's
// processes that appeared since before and are neither a monitor nor part of
// a container (the network helpers: slirp4netns, rootlessport...), and of the
// tool's pause process. It returns why it could not.
func readMemory(ctx context.Context, w *world.World, t *tool, r *result, ids []string, before map[int]world.Proc) string {
	var mu sync.Mutex
	mons, ctrs := make([]int, len(ids)), make([]int, len(ids))
	// inspect is a process start per container: a few at a time.
	err := world.Parallel(len(ids), 4, func(i int) error {
		mon, ctr, err := w.ContainerPids(ctx, t.Engine, ids[i])
		mu.Lock()
		mons[i], ctrs[i] = mon, ctr
		mu.Unlock()
		return err
	})
	if err != nil {
		return err.Error()
	}
	table := world.ProcTable()
	counted := map[int]bool{}
	var memfds world.MemfdSet
	defer func() { r.MemfdKiB = memfds.KiB }()
	var best int64 = -1
	for i, id := range ids {
		m, err := world.ReadMem(mons[i])
		if err != nil {
			return fmt.Sprintf("%s of %.12s: %v", t.Monitor, id, err)
		}
		r.Monitor.Add(m)
		if m.Pss > best {
			best, r.MonitorMax = m.Pss, m
		}
		r.Threads += threads(mons[i])
		memfds.Add(mons[i])
		counted[mons[i]] = true
		for pid := range world.Subtree(table, ctrs[i]) {
			counted[pid] = true
		}
	}
	if pid := world.ReadPidFile(t.PausePid); pid > 0 {
		if m, err := world.ReadMem(pid); err == nil {
			r.Pause, r.PauseFound = m, true
			memfds.Add(pid)
			counted[pid] = true
		}
	}
	self := os.Getpid()
	for pid, p := range table {
		if counted[pid] || pid == self || !w.Owns(pid) {
			continue
		}
		if _, old := before[pid]; old {
			// Already there before the containers started (the other tool's
			// pause process, say): listed, not counted.
			r.Others[p.Comm]++
			continue
		}
		if hm, err := world.ReadMem(pid); err == nil {
			r.Helpers.Add(hm)
			r.Helper[p.Comm]++
			memfds.Add(pid)
		}
	}
	return ""
}

// threads reads the Threads line of /proc/PID/status.
func threads(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// names lists a name count map as "a x2, b".
func names(m map[string]int) string {
	var out []string
	for k, v := range m {
		if v > 1 {
			k += fmt.Sprintf(" x%d", v)
		}
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
