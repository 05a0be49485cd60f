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
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

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

// result is what measure found for one tool.
type result struct {
	Tool       string
	Why        string // non-empty: unavailable, and why
	Started    int
	StartTimes []time.Duration
	Monitor    world.Mem // summed over the containers' monitors
	Threads    int       // summed over the monitors
	Helpers    world.Mem // other processes resident for the containers, summed
	Helper     map[string]int
	Pause      world.Mem // the pause process, shared by all containers
	PauseFound bool
	Others     map[string]int // the world's other processes, left out of the sums
	MonitorMax world.Mem      // the largest single monitor, by PSS
}

// measure starts count idle containers with t, one after the other, waits
// settle, reads the memory of everything resident for them, and removes them.
func measure(ctx context.Context, w *world.World, t *tool, count int, settle time.Duration) *result {
	r := &result{Tool: t.Name, Helper: map[string]int{}, Others: map[string]int{}}
	defer func() {
		if out, err := w.Output(context.Background(), t.RemoveAll[0], t.RemoveAll[1:]...); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: removing the containers: %v: %s\n", t.Name, err, world.Tail(out, 400))
		}
	}()
	var ids []string
	for i := 0; i < count; i++ {
		argv := append(append([]string{}, t.Run...), "--name", fmt.Sprintf("idle%02d", i), "busybox", "sleep", "1000")
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env, cmd.Dir = w.Env, w.Dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		if err != nil {
			r.Why = fmt.Sprintf("run -d of container %d: %v: %s", i+1, err, world.Tail(stderr.String(), 600))
			return r
		}
		lines := strings.Fields(string(out))
		if len(lines) == 0 {
			r.Why = fmt.Sprintf("run -d of container %d printed no id", i+1)
			return r
		}
		ids = append(ids, lines[len(lines)-1])
		r.StartTimes = append(r.StartTimes, d)
	}
	r.Started = len(ids)
	select {
	case <-ctx.Done():
		return r
	case <-time.After(settle):
	}

	table := world.ProcTable()
	counted := map[int]bool{}
	var best int64 = -1
	for _, id := range ids {
		mon, ctr, err := w.ContainerPids(ctx, t.Engine, id)
		if err != nil {
			r.Why = err.Error()
			return r
		}
		m, err := world.ReadMem(mon)
		if err != nil {
			r.Why = fmt.Sprintf("%s of %s: %v", t.Monitor, id[:12], err)
			return r
		}
		r.Monitor.Add(m)
		if m.Pss > best {
			best, r.MonitorMax = m.Pss, m
		}
		r.Threads += threads(mon)
		counted[mon] = true
		skip := world.Subtree(table, ctr)
		for pid := range skip {
			counted[pid] = true
		}
		for pid := range world.Subtree(table, mon) {
			if counted[pid] {
				continue
			}
			counted[pid] = true
			if hm, err := world.ReadMem(pid); err == nil {
				r.Helpers.Add(hm)
				r.Helper[table[pid].Comm]++
			}
		}
	}
	if pid := world.ReadPidFile(t.PausePid); pid > 0 {
		if m, err := world.ReadMem(pid); err == nil {
			r.Pause, r.PauseFound = m, true
			counted[pid] = true
		}
	}
	// Whatever else of the world's still runs (a slirp4netns, a rootlessport,
	// the other tool's pause process) is listed, not counted.
	self := os.Getpid()
	for pid, p := range table {
		if counted[pid] || pid == self || !w.Owns(pid) {
			continue
		}
		r.Others[p.Comm]++
	}
	return r
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
