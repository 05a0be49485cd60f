package main

import (
	"context"
	"path/filepath"

	"github.com/rpod/rpod/bench/internal/world"
)

// tool is one container engine as the benchmark drives it.
type tool struct {
	Name      string
	Run       []string // argv of `run -d` up to the image and command
	Engine    string   // the rpod or podman binary, for inspect
	Ps        []string // argv listing the running containers
	RemoveAll []string // argv that removes every container at once, killing them
	PausePid  string   // pid file of the pause process holding the user namespace
	Monitor   string   // what the per-container process is called in the report
}

// netArgs are the run options for the -network flag: nothing for each tool's default.
func netArgs(network string) []string {
	if network == "default" {
		return nil
	}
	return []string{"--network", network}
}

func rpodTool(w *world.World, network string) *tool {
	return &tool{
		Name:      "rpod",
		Run:       append([]string{w.Rpod, "run", "-d"}, netArgs(network)...),
		Engine:    w.Rpod,
		Ps:        []string{w.Rpod, "ps"},
		RemoveAll: []string{w.Rpod, "rm", "-af", "-t", "0"},
		PausePid:  filepath.Join(w.RunDir, "rpod", "pause.pid"),
		Monitor:   "rpod-monitor",
	}
}

// podmanTool readies podman (found, image pulled) or says why it cannot.
// Rootless podman on this host (cgroup v1, no systemd) runs with the world's
// containers.conf: cgroupfs, a file event log, runc.
func podmanTool(ctx context.Context, w *world.World, network string) (*tool, string) {
	podman, why := w.PodmanBusybox(ctx, 600)
	if why != "" {
		return nil, why
	}
	return &tool{
		Name:      "podman",
		Run:       append([]string{podman, "--runtime", "runc", "run", "-d"}, netArgs(network)...),
		Engine:    podman,
		Ps:        []string{podman, "ps"},
		RemoveAll: []string{podman, "rm", "-af", "-t", "0"},
		PausePid:  filepath.Join(w.RunDir, "libpod", "tmp", "pause.pid"),
		Monitor:   "conmon",
	}, ""
}
