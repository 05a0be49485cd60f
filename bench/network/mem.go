package main

import (
	"context"
	"fmt"
	"sort"
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
	before := world.ProcTable()
	argv := []string{b.w.Rpod, "run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "1000"}
	if out, err := b.w.Output(ctx, argv[0], argv[1:]...); err != nil {
		return &memRow{name: be.name, why: fmt.Sprintf("run -d: %v: %s", err, world.Tail(out, 400))}
	}
	defer b.remove(be, name)
	return b.stackMem(ctx, be, name, before)
}

// stackMem reads PSS of a running container's monitor and of the processes
// of this world that appeared since before, leaving out the container's own.
func (b *bench) stackMem(ctx context.Context, be *backend, name string, before map[int]world.Proc) *memRow {
	m := &memRow{name: be.name, helpers: map[string]int64{}}
	if be.podman {
		m.name = "podman (slirp4netns, rootlessport)"
	}
	engine := b.w.Rpod
	if be.podman {
		engine = b.w.Podman
	}
	mon, ctr, err := b.w.ContainerPids(ctx, engine, name)
	if err != nil {
		m.why = err.Error()
		return m
	}
	time.Sleep(time.Second) // let helpers that start lazily appear
	table := world.ProcTable()
	skip := world.Subtree(table, ctr)
	monMem, err := world.ReadMem(mon)
	if err != nil {
		m.why = err.Error()
		return m
	}
	m.monitor = monMem.Pss
	for pid, p := range table {
		if _, old := before[pid]; old || pid == mon || skip[pid] || !b.w.Owns(pid) {
			continue
		}
		if v, err := world.ReadMem(pid); err == nil {
			m.helpers[p.Comm] += v.Pss
		}
	}
	return m
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
