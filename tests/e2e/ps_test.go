package e2e

import (
	"strings"
	"testing"
)

// TestPsStateAndStatus: --format {{.State}} is podman's (and docker's) raw
// state, {{.Status}} the human text the default table shows.
func TestPsStateAndStatus(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "-d", "--name", "st-up", "busybox", "sleep", "600")
	ok(t, env, "create", "--name", "st-new", "busybox", "true")
	if r := run(env, nil, "run", "--name", "st-done", "busybox", "sh", "-c", "exit 3"); r.Code != 3 {
		t.Fatalf("run exit 3: exit %d %s", r.Code, r.Err)
	}
	field := func(name, f string) string {
		t.Helper()
		return strings.TrimSpace(ok(t, env, "ps", "-a", "--filter", "name="+name, "--format", f))
	}
	for _, tc := range []struct{ name, state, status string }{
		{"st-up", "running", "Up "},
		{"st-new", "created", "Created"},
		{"st-done", "exited", "Exited (3) "},
	} {
		if got := field(tc.name, "{{.State}}"); got != tc.state {
			t.Errorf("%s: {{.State}} = %q, want %q", tc.name, got, tc.state)
		}
		if got := field(tc.name, "{{.Status}}"); !strings.HasPrefix(got+" ", tc.status) {
			t.Errorf("%s: {{.Status}} = %q, want %q...", tc.name, got, tc.status)
		}
	}
	// A table with both: the headers, and each column its own.
	lines := strings.Split(strings.TrimSpace(ok(t, env, "ps", "--format", "table {{.Names}}\t{{.State}}\t{{.Status}}")), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "NAMES STATE STATUS" {
		t.Fatalf("ps table with .State: %q", lines)
	}
	if f := strings.Fields(lines[1]); len(f) < 4 || f[0] != "st-up" || f[1] != "running" || f[2] != "Up" {
		t.Errorf("ps table row: %q", lines[1])
	}
	// The default table is unchanged: STATUS says Up.
	def := strings.Split(strings.TrimSpace(ok(t, env, "ps")), "\n")
	if len(def) != 2 || !strings.Contains(def[0], "STATUS") || !strings.Contains(def[1], "  Up ") || strings.Contains(def[1], "running") {
		t.Errorf("default ps table: %q", def)
	}
}
