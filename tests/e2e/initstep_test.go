package e2e

import (
	"strings"
	"testing"
)

// TestInitStepEmbedded: rpod built by make build starts containers through
// the init step make build appends to it (cmd/rpod-init), not by re-executing itself, and
// says so where podman names its OCI runtime. RPOD_BIN must come from
// make build, as tests/run.sh builds it.
func TestInitStepEmbedded(t *testing.T) {
	env := newWorld(t)
	out := ok(t, env, "info", "--format", "{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}")
	if got := strings.TrimSpace(out); got != "rpod-init embedded" {
		t.Fatalf("info ociRuntime: %q, want \"rpod-init embedded\" (was RPOD_BIN built with make build?)", got)
	}
	// The init step alone does what the whole rpod did: user, caps, hostname, cwd, env.
	out = ok(t, env, "run", "--rm", "--user", "1:1", "--hostname", "h1", "-w", "/tmp", "-e", "A=b", "busybox", "sh", "-c", `echo $(id -u):$(id -g) $(hostname) $(pwd) $A; grep CapEff /proc/self/status`)
	if !strings.HasPrefix(out, "1:1 h1 /tmp b\nCapEff:\t0000000000000000") {
		t.Errorf("run through the appended init: %q", out)
	}
	r := run(env, nil, "run", "--rm", "busybox", "no-such-command")
	wantError(t, r, 127, "no-such-command")
}
