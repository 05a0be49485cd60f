package e2e

import (
	"strings"
	"testing"
)

func capEff(t *testing.T, env []string, flags ...string) string {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), "busybox", "grep", "-E", "^(CapEff|Seccomp|NoNewPrivs):", "/proc/self/status")
	return ok(t, env, args...)
}

func TestRunCapabilityFlags(t *testing.T) {
	if out := capEff(t, baseEnv, "--cap-drop", "ALL"); !strings.Contains(out, "CapEff:\t0000000000000000") {
		t.Errorf("--cap-drop ALL:\n%s", out)
	}
	// NET_ADMIN is bit 12: 0x800405fb | 0x1000.
	if out := capEff(t, baseEnv, "--cap-add", "net_admin"); !strings.Contains(out, "CapEff:\t00000000800415fb") {
		t.Errorf("--cap-add net_admin:\n%s", out)
	}
	if out := capEff(t, baseEnv, "--cap-drop", "CHOWN", "--cap-drop", "KILL"); !strings.Contains(out, "CapEff:\t00000000800405da") {
		t.Errorf("--cap-drop CHOWN,KILL:\n%s", out)
	}
	out := capEff(t, baseEnv, "--privileged")
	if strings.Contains(out, "CapEff:\t00000000800405fb") || !strings.Contains(out, "Seccomp:\t0") {
		t.Errorf("--privileged keeps the default caps or seccomp:\n%s", out)
	}
	// Privileged inside rpod's user namespace is still not the host's root.
	if r := rpod(t, "run", "--rm", "--privileged", "busybox", "sh", "-c", "echo x > /proc/sysrq-trigger"); r.Code == 0 {
		t.Errorf("--privileged container wrote the host's /proc/sysrq-trigger")
	}
	if out := capEff(t, baseEnv, "--security-opt", "no-new-privileges"); !strings.Contains(out, "NoNewPrivs:\t1") {
		t.Errorf("no-new-privileges:\n%s", out)
	}
	if out := capEff(t, baseEnv, "--security-opt", "seccomp=unconfined"); !strings.Contains(out, "Seccomp:\t0") {
		t.Errorf("seccomp=unconfined:\n%s", out)
	}
	wantError(t, rpod(t, "run", "--rm", "--cap-add", "NOPE", "busybox", "true"), 125, `unknown capability "NOPE"`)
	wantError(t, rpod(t, "run", "--rm", "--security-opt", "apparmor=myprofile", "busybox", "true"), 125, "--security-opt")
}

func TestRunStopSignalPullReplace(t *testing.T) {
	env := newWorld(t)
	wantError(t, run(env, nil, "run", "--rm", "--pull=never", "busybox", "true"), 125, "--pull=never")
	ok(t, env, "run", "--rm", "--pull=missing", "busybox", "true")
	r := run(env, nil, "run", "--rm", "--pull=always", "busybox", "true")
	if r.Code != 0 || !strings.Contains(r.Err, "Trying to pull") {
		t.Errorf("--pull=always did not pull: %d %s", r.Code, r.Err)
	}
	wantError(t, run(env, nil, "run", "--rm", "--pull=sometimes", "busybox", "true"), 125, "invalid --pull")

	ok(t, env, "run", "-d", "--name", "hup", "--stop-signal", "HUP", "busybox", "sh", "-c", `trap "exit 9" HUP; while true; do sleep 0.1; done`)
	ok(t, env, "stop", "hup")
	if out := ok(t, env, "wait", "hup"); out != "9\n" {
		t.Errorf("stop with --stop-signal HUP: exit %q, want 9", out)
	}
	wantError(t, run(env, nil, "run", "--rm", "--stop-signal", "NOPE", "busybox", "true"), 125, "--stop-signal")

	wantError(t, run(env, nil, "run", "--name", "hup", "busybox", "true"), 125, "already in use")
	if out := ok(t, env, "run", "--replace", "--name", "hup", "busybox", "echo", "replaced"); out != "replaced\n" {
		t.Errorf("--replace: %q", out)
	}
}
