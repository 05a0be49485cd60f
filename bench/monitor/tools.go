package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rpod/rpod/bench/internal/world"
)

// tool is one container engine as the benchmark drives it.
type tool struct {
	Name      string
	Run       []string // argv of `run -d` up to the image and command
	Inspect   []string // argv that prints "MONITORPID PID" of the container named last
	RemoveAll []string // argv that removes every container at once, killing them
	PausePid  string   // pid file of the pause process holding the user namespace
	Monitor   string   // what the per-container process is called in the report
}

func rpodTool(w *world.World) *tool {
	return &tool{
		Name:      "rpod",
		Run:       []string{w.Rpod, "run", "-d"},
		Inspect:   []string{w.Rpod, "inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}"},
		RemoveAll: []string{w.Rpod, "rm", "-af"},
		PausePid:  filepath.Join(w.RunDir, "rpod", "pause.pid"),
		Monitor:   "rpod-monitor",
	}
}

// podmanTool readies podman (found, image pulled) or says why it cannot.
// Rootless podman on this host (cgroup v1, no systemd) runs with the world's
// containers.conf: cgroupfs, a file event log, runc; and --network none,
// because rpod's containers get only loopback.
func podmanTool(ctx context.Context, w *world.World) (*tool, string) {
	podman, err := w.FindPodman()
	if err != nil {
		return nil, "podman not found"
	}
	// The short name would resolve to docker.io through podman's shortnames.conf
	// alias: pull the registry's name; `run busybox` then finds it locally.
	if out, err := w.Output(ctx, podman, "pull", "-q", w.Reg.Addr+"/busybox:latest"); err != nil {
		return nil, fmt.Sprintf("podman pull busybox: %v: %s", err, world.Tail(out, 600))
	}
	return &tool{
		Name:      "podman",
		Run:       []string{podman, "--runtime", "runc", "run", "-d", "--network", "none"},
		Inspect:   []string{podman, "inspect", "--format", "{{.State.ConmonPid}} {{.State.Pid}}"},
		RemoveAll: []string{podman, "rm", "-af", "-t", "0"},
		PausePid:  filepath.Join(w.RunDir, "libpod", "tmp", "pause.pid"),
		Monitor:   "conmon",
	}, ""
}

// pids runs the inspect command for one container and returns its monitor's and its command's pids.
func (t *tool) pids(ctx context.Context, w *world.World, id string) (monitor, ctr int, err error) {
	out, err := w.Output(ctx, t.Inspect[0], append(t.Inspect[1:], id)...)
	if err != nil {
		return 0, 0, fmt.Errorf("%s inspect: %v: %s", t.Name, err, world.Tail(out, 300))
	}
	f := strings.Fields(out)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%s inspect printed %q, want two pids", t.Name, out)
	}
	monitor, err1 := strconv.Atoi(f[0])
	ctr, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || monitor <= 0 || ctr <= 0 {
		return 0, 0, fmt.Errorf("%s inspect printed %q, want two pids", t.Name, out)
	}
	return monitor, ctr, nil
}

// pausePid reads the first field of the pause pid file; 0 if there is none.
func (t *tool) pausePid() int {
	b, err := os.ReadFile(t.PausePid)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}
