package world

import (
	"strings"
	"testing"
)

func TestGoalLine(t *testing.T) {
	tests := []struct {
		name string
		g    Goal
		want string
	}{
		{"met", Goal{What: "run", Unit: "ms", Rpod: 50, Peer: 400, PeerName: "podman", Max: 1.0 / 6, MaxText: "1/6"},
			"goal: run: rpod 50.0 ms, podman 400.0 ms = 0.125x; goal <= 1/6 = 0.167x podman: met"},
		{"not met", Goal{What: "run", Unit: "ms", Rpod: 80, Peer: 400, PeerName: "podman", Max: 1.0 / 6, MaxText: "1/6"},
			"goal: run: rpod 80.0 ms, podman 400.0 ms = 0.200x; goal <= 1/6 = 0.167x podman: not met"},
		{"strict, equal is not met", Goal{What: "rss", Unit: "KiB", Rpod: 2000, Peer: 2000, PeerName: "podman", Max: 1, Strict: true},
			"goal: rss: rpod 2000 KiB, podman 2000 KiB = 1.000x; goal < 1.00x podman: not met"},
		{"no bound", Goal{What: "ps", Unit: "ms", Rpod: 5, Peer: 10, PeerName: "podman"},
			"goal: ps: rpod 5.00 ms, podman 10.0 ms = 0.500x; no bound set (compared only)"},
		{"unmeasured", Goal{What: "exec", Why: "podman not found"}, "goal: exec: not measured: podman not found"},
	}
	for _, tt := range tests {
		if got := tt.g.Line(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
		if !strings.HasPrefix(tt.g.Line(), GoalPrefix) {
			t.Errorf("%s: no prefix", tt.name)
		}
	}
	if v := (Goal{Rpod: 1, Max: 1}).Verdict(); v != "not measured" {
		t.Errorf("peer 0: verdict %q", v)
	}
}
