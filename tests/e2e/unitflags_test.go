package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The flags systemd units use: --cidfile, rm/stop --cidfile -i, volume
// create --ignore, start --all --filter, ps --filter restart-policy,
// CreateCommand and ConmonPidFile in inspect, and --sdnotify's messages.

func TestCidfile(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	cid := filepath.Join(t.TempDir(), "ctr.cid")
	id := strings.TrimSpace(ok(t, env, "create", "--cidfile", cid, "--name", "cf", "busybox", "true"))
	if b, err := os.ReadFile(cid); err != nil || string(b) != id {
		t.Fatalf("cidfile holds %q (%v), want %q", b, err, id)
	}
	wantError(t, run(env, nil, "create", "--cidfile", cid, "busybox", "true"), 125,
		"container id file exists. Ensure another container is not using it or delete "+cid)
	// --replace takes the named container and its cidfile.
	id2 := strings.TrimSpace(ok(t, env, "create", "--cidfile", cid, "--replace", "--name", "cf", "busybox", "true"))
	if b, _ := os.ReadFile(cid); string(b) != id2 || id2 == id {
		t.Fatalf("after --replace the cidfile holds %q, want the new id %q", b, id2)
	}
	if out := ok(t, env, "rm", "--cidfile", cid); strings.TrimSpace(out) != id2 {
		t.Errorf("rm --cidfile printed %q, want the id", out)
	}
	if _, err := os.Stat(cid); err == nil {
		t.Errorf("the cidfile is still there after rm")
	}
	// A missing cidfile: an error, unless --ignore.
	wantError(t, run(env, nil, "rm", "--cidfile", cid), 125, "reading CIDFile")
	ok(t, env, "rm", "-f", "-i", "--cidfile", cid)
	wantError(t, run(env, nil, "stop", "--cidfile", cid), 125, "reading CIDFile")
	ok(t, env, "stop", "--ignore", "-t", "1", "--cidfile", cid)
	ok(t, env, "stop", "-i", "nosuchcontainer")
	wantError(t, run(env, nil, "stop", "nosuchcontainer"), 125, "nosuchcontainer")
	wantError(t, run(env, nil, "stop"), 125, "name at least one container, or use --all or --cidfile")
	wantError(t, run(env, nil, "rm"), 125, "--all or --cidfile")

	// stop --cidfile stops a running one; run --rm removes the file with the container.
	ok(t, env, "run", "-d", "--rm", "--cidfile", cid, "--name", "cf2", "busybox", "sleep", "1000")
	ok(t, env, "stop", "-t", "0", "--cidfile", cid)
	waitUntil(t, "run --rm's container and cidfile gone", func() bool {
		_, err := os.Stat(cid)
		return err != nil && !strings.Contains(ok(t, env, "ps", "-a", "--format", "{{.Names}}"), "cf2")
	})
}

func TestVolumeCreateIgnore(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "volume", "create", "vi")
	wantError(t, run(env, nil, "volume", "create", "vi"), 125, "vi")
	if out := ok(t, env, "volume", "create", "--ignore", "vi"); out != "vi\n" {
		t.Errorf("volume create --ignore printed %q", out)
	}
	if out := ok(t, env, "volume", "create", "--ignore", "vj"); out != "vj\n" {
		t.Errorf("volume create --ignore of a new volume printed %q", out)
	}
}

func TestRestartPolicyFilter(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "create", "--name", "ra", "--restart", "always", "busybox", "sleep", "1000")
	ok(t, env, "create", "--name", "rn", "busybox", "sleep", "1000")
	ok(t, env, "create", "--name", "rf", "--restart", "on-failure", "busybox", "sleep", "1000")
	names := func(args ...string) string {
		return strings.TrimSpace(ok(t, env, append([]string{"ps", "-a", "--format", "{{.Names}}"}, args...)...))
	}
	if out := names("--filter", "restart-policy=always"); out != "ra" {
		t.Errorf("ps --filter restart-policy=always: %q", out)
	}
	if out := names("--filter", "restart-policy=no"); out != "rn" {
		t.Errorf("ps --filter restart-policy=no: %q", out)
	}
	wantError(t, run(env, nil, "ps", "--filter", "restart-policy=sometimes"), 125, "restart-policy is one of")
	ok(t, env, "start", "--all", "--filter", "restart-policy=always")
	if out := strings.TrimSpace(ok(t, env, "ps", "--format", "{{.Names}}")); out != "ra" {
		t.Errorf("after start --all --filter restart-policy=always, running: %q", out)
	}
	wantError(t, run(env, nil, "start", "--filter", "restart-policy=always"), 125, "--filter needs --all")
	wantError(t, run(env, nil, "start", "--all", "rf"), 125, "--all and container names cannot be used together")
	ok(t, env, "start", "rf")
	if out := strings.TrimSpace(ok(t, env, "stop", "-t", "0", "--all", "--filter", "restart-policy=always")); out != ok(t, env, "inspect", "-f", "{{.ID}}", "ra")[:64] {
		t.Errorf("stop --all --filter restart-policy=always printed %q, want ra's id", out)
	}
	if out := strings.TrimSpace(ok(t, env, "ps", "--format", "{{.Names}}")); out != "rf" {
		t.Errorf("after stop --all --filter restart-policy=always, running: %q, want rf", out)
	}
	ok(t, env, "stop", "-t", "0", "rf")
}

func TestCreateCommandInspect(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "create", "--name", "cc", "-e", "A=1", "busybox", "echo", "hi")
	out := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{json .Config.CreateCommand}}", "cc"))
	if !strings.HasSuffix(out, `"create","--name","cc","-e","A=1","busybox","echo","hi"]`) {
		t.Errorf("Config.CreateCommand is %s", out)
	}
	// generate systemd --new repeats it, less the unit's own flags.
	unit := ok(t, env, "generate", "systemd", "--new", "--name", "cc")
	if !strings.Contains(unit, "-e A=1 busybox echo hi") || strings.Count(unit, "--name") != 1 {
		t.Errorf("generate --new does not use the create command:\n%s", unit)
	}
	// Without --new the unit's PIDFile= is the monitor's pid file.
	pidfile := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.ConmonPidFile}}", "cc"))
	if unit := ok(t, env, "generate", "systemd", "cc"); pidfile == "" || !strings.Contains(unit, "PIDFile="+pidfile+"\n") {
		t.Errorf("generate systemd has no PIDFile=%s:\n%s", pidfile, unit)
	}
	ok(t, env, "run", "-d", "--name", "mon", "busybox", "sleep", "1000")
	monPid := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.ConmonPid}}", "mon"))
	file := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.ConmonPidFile}}", "mon"))
	if b, err := os.ReadFile(file); err != nil || strings.TrimSpace(string(b)) != monPid {
		t.Errorf("%s holds %q (%v), want the monitor's pid %s", file, b, err, monPid)
	}
	ok(t, env, "rm", "-f", "-t", "0", "mon")
}

// TestSdNotifyConmon: under a Type=notify unit (NOTIFY_SOCKET) the monitor
// of run -d says it is the main process and ready; with container only
// the main process; ignore says nothing; a bad mode is refused.
func TestSdNotifyConmon(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := func() string {
		conn.SetReadDeadline(time.Now().Add(time.Second))
		b := make([]byte, 4096)
		n, err := conn.Read(b)
		if err != nil {
			return ""
		}
		return string(b[:n])
	}
	nenv := withEnv(env, "NOTIFY_SOCKET="+sock)
	ok(t, nenv, "run", "-d", "--name", "n1", "busybox", "sleep", "1000")
	mon := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.ConmonPid}}", "n1"))
	if msg := read(); msg != "MAINPID="+mon+"\nREADY=1" {
		t.Errorf("--sdnotify=conmon sent %q, want MAINPID=%s and READY=1", msg, mon)
	}
	ok(t, nenv, "run", "-d", "--sdnotify=container", "--name", "n2", "busybox", "sh", "-c", "echo $NOTIFY_SOCKET; test -S $NOTIFY_SOCKET && echo socket; sleep 1000")
	mon = strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.ConmonPid}}", "n2"))
	if msg := read(); msg != "MAINPID="+mon {
		t.Errorf("--sdnotify=container sent %q, want MAINPID=%s only", msg, mon)
	}
	waitUntil(t, "n2's output", func() bool { return strings.Contains(run(env, nil, "logs", "n2").Out, "socket") })
	if out := ok(t, env, "logs", "n2"); out != "/run/notify/notify.sock\nsocket\n" {
		t.Errorf("--sdnotify=container: the container sees %q, want the socket at /run/notify/notify.sock", out)
	}
	ok(t, nenv, "run", "-d", "--sdnotify=ignore", "--name", "n3", "busybox", "sleep", "1000")
	if msg := read(); msg != "" {
		t.Errorf("--sdnotify=ignore sent %q", msg)
	}
	if _, err := strconv.Atoi(mon); err != nil {
		t.Errorf("ConmonPid %q", mon)
	}
	wantError(t, run(env, nil, "run", "--sdnotify=sometimes", "busybox", "true"), 125, `invalid --sdnotify "sometimes"`)
	wantError(t, run(withEnv(env, "NOTIFY_SOCKET=@abstract"), nil, "run", "--sdnotify=container", "busybox", "true"), 125, "is an abstract socket")
	ok(t, env, "rm", "-f", "-t", "0", "n1", "n2", "n3")
}

// TestGeneratorJoinsNoNamespace: `rpod systemd ...` and rpod run as
// rpod-user-generator read Quadlet files only: they start no pause process.
func TestGeneratorJoinsNoNamespace(t *testing.T) {
	env := newWorld(t)
	rt := t.TempDir()
	genv := withEnv(env, "XDG_RUNTIME_DIR="+rt)
	dir := filepath.Join(getenv(env, "XDG_CONFIG_HOME"), "containers", "systemd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "g.container"), []byte("[Container]\nImage=busybox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := ok(t, genv, "systemd", "dryrun"); !strings.Contains(out, "---g.service---") {
		t.Errorf("dryrun: %q", out)
	}
	bin, _ := filepath.Abs(rpodBin)
	gen := filepath.Join(t.TempDir(), "rpod-user-generator")
	if err := os.Symlink(bin, gen); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if r := suite.RunCmd(genv, nil, gen, out, out, out); r.Code != 0 {
		t.Fatalf("rpod-user-generator: exit %d: %s", r.Code, r.Err)
	}
	if _, err := os.Stat(filepath.Join(out, "g.service")); err != nil {
		t.Errorf("the generator wrote no g.service: %v", err)
	}
	if _, err := os.Stat(filepath.Join(rt, "rpod", "pause.pid")); err == nil {
		t.Errorf("the generator started a pause process (it joined the user namespace)")
	}
}
