package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rpod/rpod/bench/internal/world"
)

// memRow is the memory resident for one container's network: its monitor
// and the helper processes started with it, PSS in KiB.
type memRow struct {
	name    string
	why     string
	monitor int64            // PSS of rpod's monitor or podman's conmon
	helpers map[string]int64 // PSS of the other new processes, by name
}

func (m *memRow) total() int64 {
	t := m.monitor
	for _, v := range m.helpers {
		t += v
	}
	return t
}

// idleMem reads the memory of rpod's monitor for a container with --network none: the baseline.
func (b *bench) idleMem(ctx context.Context) *memRow {
	be := &backend{name: "rpod none"}
	name := "idle-none"
	before := procTable()
	argv := []string{b.w.Rpod, "run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "1000"}
	if out, err := b.w.Output(ctx, argv[0], argv[1:]...); err != nil {
		return &memRow{name: be.name, why: fmt.Sprintf("run -d: %v: %s", err, world.Tail(out, 400))}
	}
	defer b.remove(be, name)
	return b.stackMem(ctx, be, name, before)
}

// stackMem reads PSS of a running container's monitor and of the processes
// of this world that appeared since before, leaving out the container's own.
func (b *bench) stackMem(ctx context.Context, be *backend, name string, before map[int]proc) *memRow {
	m := &memRow{name: be.name, helpers: map[string]int64{}}
	if be.podman {
		m.name = "podman (slirp4netns, rootlessport)"
	}
	inspect := b.w.Rpod
	if be.podman {
		inspect = b.w.Podman
	}
	out, err := b.w.Output(ctx, inspect, "inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}", name)
	f := strings.Fields(out)
	if err != nil || len(f) != 2 {
		m.why = fmt.Sprintf("inspect: %v: %s", err, world.Tail(out, 300))
		return m
	}
	mon, _ := strconv.Atoi(f[0])
	ctr, _ := strconv.Atoi(f[1])
	time.Sleep(time.Second) // let helpers that start lazily appear
	table := procTable()
	skip := subtree(table, ctr)
	pss, err := readPss(mon)
	if err != nil {
		m.why = err.Error()
		return m
	}
	m.monitor = pss
	for pid, p := range table {
		if _, old := before[pid]; old || pid == mon || skip[pid] || !b.inWorld(pid) {
			continue
		}
		if v, err := readPss(pid); err == nil {
			m.helpers[p.comm] += v
		}
	}
	return m
}

// inWorld reports whether a process runs with the world's XDG_RUNTIME_DIR: this benchmark started it.
func (b *bench) inWorld(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	return err == nil && bytes.Contains(data, []byte("\x00XDG_RUNTIME_DIR="+b.w.RunDir+"\x00"))
}

// readPss reads the Pss line of /proc/PID/smaps_rollup, in KiB.
func readPss(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "Pss:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/smaps_rollup: no Pss line", pid)
}

// proc is one line of the process table.
type proc struct {
	ppid int
	comm string
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
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(data)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		out[pid] = proc{ppid: ppid, comm: s[open+1 : close]}
	}
	return out
}

// subtree returns pid and all its descendants.
func subtree(t map[int]proc, pid int) map[int]bool {
	in := map[int]bool{pid: true}
	for changed := true; changed; {
		changed = false
		for p, pr := range t {
			if in[pr.ppid] && !in[p] {
				in[p] = true
				changed = true
			}
		}
	}
	return in
}

// helperList prints helpers as "name PSS, ..." sorted by name.
func helperList(h map[string]int64) string {
	var names []string
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, h[n]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
