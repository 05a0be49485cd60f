package world

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mem is a process's memory from /proc/PID/smaps_rollup, in KiB.
type Mem struct {
	Rss, Pss, Uss, PssAnon, PssFile int64
}

// Add adds o to m.
func (m *Mem) Add(o Mem) {
	m.Rss += o.Rss
	m.Pss += o.Pss
	m.Uss += o.Uss
	m.PssAnon += o.PssAnon
	m.PssFile += o.PssFile
}

// ReadMem reads a process's smaps_rollup: Rss, Pss (each shared page
// divided among the processes mapping it), USS (Private_Clean plus
// Private_Dirty: what killing it would free) and Pss split into anonymous
// memory and file pages.
func ReadMem(pid int) (Mem, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return Mem{}, err
	}
	return parseSmapsRollup(pid, data)
}

func parseSmapsRollup(pid int, data []byte) (Mem, error) {
	var m Mem
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

// Proc is one line of the process table.
type Proc struct {
	PPid int
	Comm string
}

// ProcTable reads every process's parent and name from /proc/PID/stat.
func ProcTable() map[int]Proc {
	out := map[int]Proc{}
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
		if p, ok := parseStat(string(data)); ok {
			out[pid] = p
		}
	}
	return out
}

// parseStat reads the name and parent of a /proc/PID/stat line; the name
// is the text between the first '(' and the last ')', as it may hold both.
func parseStat(s string) (Proc, bool) {
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return Proc{}, false
	}
	f := strings.Fields(s[close+1:])
	if len(f) < 2 {
		return Proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return Proc{PPid: ppid, Comm: s[open+1 : close]}, true
}

// Subtree returns pid and all its descendants in t.
func Subtree(t map[int]Proc, pid int) map[int]bool {
	in := map[int]bool{pid: true}
	for changed := true; changed; {
		changed = false
		for p, pr := range t {
			if in[pr.PPid] && !in[p] {
				in[p] = true
				changed = true
			}
		}
	}
	return in
}

// Owns reports whether a process has the world's XDG_RUNTIME_DIR in its
// environment: it was started by this benchmark, not by another user of the machine.
func (w *World) Owns(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	return err == nil && bytes.Contains(data, []byte("\x00XDG_RUNTIME_DIR="+w.RunDir+"\x00"))
}

// ContainerPids asks engine (rpod or podman) for the pids of a container's
// monitor (rpod's monitor or conmon) and of its command.
func (w *World) ContainerPids(ctx context.Context, engine, name string) (monitor, ctr int, err error) {
	out, err := w.Output(ctx, engine, "inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}", name)
	if err != nil {
		return 0, 0, fmt.Errorf("%s inspect: %v: %s", filepath.Base(engine), err, Tail(out, 300))
	}
	f := strings.Fields(out)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%s inspect printed %q, want two pids", filepath.Base(engine), out)
	}
	monitor, err1 := strconv.Atoi(f[0])
	ctr, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || monitor <= 0 || ctr <= 0 {
		return 0, 0, fmt.Errorf("%s inspect printed %q, want two pids", filepath.Base(engine), out)
	}
	return monitor, ctr, nil
}
