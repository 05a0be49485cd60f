package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/rpod/rpod/bench/internal/world"
)

// tool is one container engine as the benchmark drives it.
type tool struct {
	Name      string
	Run       []string // argv of `run -d` up to the image and command
	Engine    string   // the rpod or podman binary, for inspect
	RemoveAll []string // argv that removes every container at once, killing them
	PausePid  string   // pid file of the pause process holding the user namespace
	Monitor   string   // what the per-container process is called in the report
}

func rpodTool(w *world.World) *tool {
	return &tool{
		Name:      "rpod",
		Run:       []string{w.Rpod, "run", "-d"},
		Engine:    w.Rpod,
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
		Engine:    podman,
		RemoveAll: []string{podman, "rm", "-af", "-t", "0"},
		PausePid:  filepath.Join(w.RunDir, "libpod", "tmp", "pause.pid"),
		Monitor:   "conmon",
	}, ""
}
