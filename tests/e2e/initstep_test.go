package e2e

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitStepEmbedded: rpod built by make build starts containers through
// the init step make build appends to it (cmd/rpod-init, runtime/step in C), not by re-executing itself, and
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

// TestInitStepLinkedIn: an rpod without a usable appended init step (a
// plain go build, or one whose init no longer matches: here a byte after
// the footer) re-executes itself for each container, and runs the step it
// links in before the Go runtime starts (runtime/step); rpod exec runs it
// inside the container as always.
func TestInitStepLinkedIn(t *testing.T) {
	env := newWorld(t)
	b, err := os.ReadFile(rpodBin)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "rpod")
	if err := os.WriteFile(bin, append(b, '\n'), 0o755); err != nil {
		t.Fatal(err)
	}
	ok(t, env, "pull", "-q", "busybox") // a pull needs the full rpod the copy's broken footer hides
	s := suite
	s.Bin = bin
	r := s.Run(env, nil, "info", "--format", "{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}")
	if got := strings.TrimSpace(r.Out); r.Code != 0 || got != "rpod-init "+bin {
		t.Fatalf("info ociRuntime: %q (exit %d, %s), want \"rpod-init %s\"", got, r.Code, r.Err, bin)
	}
	r = s.Run(env, nil, "run", "--name", "linked", "-d", "--user", "1:1", "--hostname", "h1", "-w", "/tmp", "-e", "A=b", "busybox", "sleep", "300")
	if r.Code != 0 {
		t.Fatalf("run -d through the linked-in step: exit %d: %s", r.Code, r.Err)
	}
	r = s.Run(env, nil, "exec", "linked", "sh", "-c", `echo $(id -u):$(id -g) $(hostname) $(pwd) $A; grep CapEff /proc/self/status`)
	if !strings.HasPrefix(r.Out, "1:1 h1 /tmp b\nCapEff:\t0000000000000000") {
		t.Errorf("exec in a container started through the linked-in step: %q (exit %d, %s)", r.Out, r.Code, r.Err)
	}
	wantError(t, s.Run(env, nil, "run", "--rm", "busybox", "no-such-command"), 127, "no-such-command")
	s.Run(env, nil, "rm", "-f", "-t", "0", "linked")
}

// TestLightBuildIsStatic: rpod from make build needs no dynamic loader (it
// cost 1-3 ms of every start, bench/README.md session 16), and still
// names its user, with Go's own lookup (internal/account).
func TestLightBuildIsStatic(t *testing.T) {
	f, err := elf.Open(rpodBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s asks for a program interpreter: make build links it statically", rpodBin)
		}
	}
	env := newWorld(t)
	name := os.Getenv("USER")
	if name == "" {
		t.Skip("USER is not set")
	}
	out := ok(t, env, "info", "--format", "{{range .Host.Security.UsernsRanges.UID}}{{.}}{{end}}")
	if out = strings.TrimSpace(out); out == "" {
		t.Errorf("info names no subordinate uid range for %s", name)
	}
	r := run(env, nil, "system", "check")
	if !strings.Contains(r.Out, "subuid              ok      "+name+": ") {
		t.Errorf("system check does not find %s's subordinate uids by name:\n%s", name, r.Out)
	}
}
