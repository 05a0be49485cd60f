package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// mem is a process's memory from /proc/PID/smaps_rollup, in KiB.
type mem struct {
	Rss, Pss, Uss, PssAnon, PssFile int64
}

func (m *mem) add(o mem) {
	m.Rss += o.Rss
	m.Pss += o.Pss
	m.Uss += o.Uss
	m.PssAnon += o.PssAnon
	m.PssFile += o.PssFile
}

// readMem reads a process's smaps_rollup: Rss, Pss (each shared page
// divided among the processes mapping it), USS (Private_Clean plus
// Private_Dirty: what killing it would free) and Pss split into anonymous
// memory and file pages.
func readMem(pid int) (mem, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return mem{}, err
	}
	var m mem
	fields := map[string]*int64{"Rss:": &m.Rss, "Pss:": &m.Pss, "Pss_Anon:": &m.PssAnon, "Pss_File:": &m.PssFile}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		if p, ok := fields[f[0]]; ok {
			*p = v
		}
		if f[0] == "Private_Clean:" || f[0] == "Private_Dirty:" {
			m.Uss += v
		}
	}
	if m.Rss == 0 {
		return m, fmt.Errorf("/proc/%d/smaps_rollup: no Rss line (not readable?)", pid)
	}
	return m, nil
}

// proc is one line of the process table.
type proc struct {
	pid, ppid int
	comm      string
}

// procTable reads every process's parent and name from /proc/PID/stat.
func procTable() map[int]proc {
	out := map[int]proc{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		out[pid] = proc{pid: pid, ppid: ppid, comm: s[open+1 : close]}
	}
	return out
}

// subtree returns pid and all its descendants.
func subtree(t map[int]proc, pid int) map[int]bool {
	in := map[int]bool{pid: true}
	for changed := true; changed; {
		changed = false
		for _, p := range t {
			if in[p.ppid] && !in[p.pid] {
				in[p.pid] = true
				changed = true
			}
		}
	}
	return in
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

// inWorld reports whether a process has the world's XDG_RUNTIME_DIR in its
// environment: it was started by this benchmark, not by another user of the machine.
func inWorld(pid int, w *world.World) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	return err == nil && bytes.Contains(b, []byte("\x00XDG_RUNTIME_DIR="+w.RunDir+"\x00"))
}

// result is what measure found for one tool.
type result struct {
	Tool       string
	Why        string // non-empty: unavailable, and why
	Started    int
	StartTimes []time.Duration
	Monitor    mem // summed over the containers' monitors
	Threads    int // summed over the monitors
	Helpers    mem // other processes resident for the containers, summed
	Helper     map[string]int
	Pause      mem // the pause process, shared by all containers
	PauseFound bool
	Others     map[string]int // the world's other processes, left out of the sums
	MonitorMax mem            // the largest single monitor, by PSS
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

	table := procTable()
	counted := map[int]bool{}
	var best int64 = -1
	for _, id := range ids {
		mon, ctr, err := t.pids(ctx, w, id)
		if err != nil {
			r.Why = err.Error()
			return r
		}
		m, err := readMem(mon)
		if err != nil {
			r.Why = fmt.Sprintf("%s of %s: %v", t.Monitor, id[:12], err)
			return r
		}
		r.Monitor.add(m)
		if m.Pss > best {
			best, r.MonitorMax = m.Pss, m
		}
		r.Threads += threads(mon)
		counted[mon] = true
		skip := subtree(table, ctr)
		for pid := range skip {
			counted[pid] = true
		}
		for pid := range subtree(table, mon) {
			if counted[pid] {
				continue
			}
			counted[pid] = true
			if hm, err := readMem(pid); err == nil {
				r.Helpers.add(hm)
				r.Helper[table[pid].comm]++
			}
		}
	}
	if pid := t.pausePid(); pid > 0 {
		if m, err := readMem(pid); err == nil {
			r.Pause, r.PauseFound = m, true
			counted[pid] = true
		}
	}
	// Whatever else of the world's still runs (a slirp4netns, a rootlessport,
	// the other tool's pause process) is listed, not counted.
	self := os.Getpid()
	for pid, p := range table {
		if counted[pid] || pid == self || !inWorld(pid, w) {
			continue
		}
		r.Others[p.comm]++
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
