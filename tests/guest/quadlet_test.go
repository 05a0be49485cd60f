//go:build guest

package guest

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	contrib "github.com/rpod/rpod/contrib/systemd"
	"github.com/rpod/rpod/quadlet"
)

// The user generator, when the guest has it installed (make install as
// root links it there); otherwise the tests write the generator's output
// into the user's runtime unit directory with `rpod systemd generator`.
var generatorPaths = []string{
	"/etc/systemd/user-generators/rpod-user-generator",
	"/usr/local/lib/systemd/user-generators/rpod-user-generator",
	"/usr/lib/systemd/user-generators/rpod-user-generator",
}

func systemctl(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(os.Environ(), nil, "systemctl", append([]string{"--user"}, args...)...)
}

func systemctlOK(t *testing.T, args ...string) string {
	t.Helper()
	r := systemctl(t, args...)
	if r.Code != 0 {
		t.Fatalf("systemctl --user %s: exit %d\n%s%s\n%s", strings.Join(args, " "), r.Code, r.Out, r.Err, journal(t))
	}
	return r.Out
}

// journal is the end of the user's journal, for failure messages.
func journal(t *testing.T) string {
	return runCmd(os.Environ(), nil, "journalctl", "--user", "-n", "40", "--no-pager").Out
}

// rerun runs a unit's ExecStart= by hand, in the test world, to show why it
// failed: the user's journal is not always readable by the user.
func rerun(t *testing.T, env []string, unit string) string {
	t.Helper()
	text := strings.ReplaceAll(systemctl(t, "cat", unit).Out, "\\\n\t", " ")
	r := strings.NewReplacer("%t", os.Getenv("XDG_RUNTIME_DIR"), "%N", strings.TrimSuffix(unit, ".service"), "%n", unit)
	for _, l := range strings.Split(text, "\n") {
		if v, found := strings.CutPrefix(l, "ExecStart="); found {
			argv, err := quadlet.SplitWords(r.Replace(v))
			if err != nil || len(argv) == 0 {
				return fmt.Sprintf("cannot split ExecStart=%s: %v", v, err)
			}
			res := runCmd(env, nil, argv[0], argv[1:]...)
			return fmt.Sprintf("ExecStart by hand: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Out, res.Err)
		}
	}
	return "no ExecStart= in " + unit
}

// worldServiceEnv is the [Service] Environment= that makes rpod run by
// systemd use the test world's store, namespace and registries.
func worldServiceEnv(env []string) string {
	var kv []string
	for _, k := range []string{"HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "CONTAINERS_REGISTRIES_CONF"} {
		kv = append(kv, strconv.Quote(k+"="+getenv(env, k)))
	}
	return strings.Join(kv, " ")
}

// installQuadlet puts name (a Quadlet file) where the user's systemd
// finds it, reloads, and returns a cleanup-registered unit directory.
func installQuadlet(t *testing.T, env []string, name, body string) {
	t.Helper()
	rt := os.Getenv("XDG_RUNTIME_DIR")
	installed := ""
	for _, p := range generatorPaths {
		if _, err := os.Stat(p); err == nil {
			installed = p
		}
	}
	var src string
	if installed != "" {
		// The real thing: the generator reads ~/.config/containers/systemd of the user's manager.
		home, _ := os.UserHomeDir()
		src = filepath.Join(home, ".config", "containers", "systemd")
		t.Logf("using the installed generator %s", installed)
	} else {
		src = filepath.Join(getenv(env, "XDG_CONFIG_HOME"), "containers", "systemd")
		t.Logf("no rpod-user-generator installed in the guest: writing its output into %s/systemd/user", rt)
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(src, name)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(rt, "systemd", "user")
	if installed == "" {
		ok(t, env, "systemd", "generator", out)
	}
	unit := strings.TrimSuffix(name, filepath.Ext(name)) + ".service"
	t.Cleanup(func() {
		systemctl(t, "stop", unit)
		os.Remove(file)
		os.Remove(filepath.Join(out, unit))
		systemctl(t, "daemon-reload")
	})
	systemctlOK(t, "daemon-reload")
	if r := systemctl(t, "cat", unit); r.Code != 0 {
		t.Fatalf("systemd does not know %s after daemon-reload: %s\n%s", unit, r.Err, journal(t))
	}
}

// TestQuadletStartStop: a .container file becomes a unit, starting it runs
// the container in the unit's cgroup, stopping it stops and removes it.
func TestQuadletStartStop(t *testing.T) {
	env := newWorld(t)
	installQuadlet(t, env, "qhello.container", fmt.Sprintf(`[Unit]
Description=rpod quadlet test

[Container]
Image=busybox
ContainerName=qhello
Exec=sh -c 'echo qhello-started; trap "exit 0" TERM; while :; do sleep 0.1; done'
Label=test=quadlet

[Service]
Environment=%s
TimeoutStartSec=300
`, worldServiceEnv(env)))

	r := systemctl(t, "start", "qhello.service")
	if r.Code != 0 {
		t.Fatalf("systemctl --user start qhello.service: exit %d: %s\nstatus:\n%s\n%s", r.Code, r.Err,
			systemctl(t, "status", "--no-pager", "qhello.service").Out, rerun(t, env, "qhello.service"))
	}
	if st := strings.TrimSpace(systemctl(t, "is-active", "qhello.service").Out); st != "active" {
		t.Errorf("qhello.service is %s after start, want active", st)
	}
	if out := ok(t, env, "ps", "--format", "{{.Names}}"); !strings.Contains(out, "qhello") {
		t.Fatalf("rpod ps does not show the unit's container:\n%s", out)
	}
	// The container runs in the unit's own cgroup (--cgroups=split), not a scope of rpod's.
	pid := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.Pid}}", "qhello"))
	if cg, err := os.ReadFile("/proc/" + pid + "/cgroup"); err != nil || !strings.Contains(string(cg), "/qhello.service/") {
		t.Errorf("the container's process %s is not under qhello.service: %q %v", pid, cg, err)
	}
	main := strings.TrimSpace(systemctl(t, "show", "-p", "MainPID", "--value", "qhello.service").Out)
	if mon := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.ConmonPid}}", "qhello")); main != mon {
		t.Errorf("qhello.service's main PID is %q, want the monitor's %s", main, mon)
	}
	if cg, err := os.ReadFile("/proc/" + main + "/cgroup"); err != nil || !strings.Contains(string(cg), "/qhello.service/") {
		t.Errorf("the monitor %s is not in qhello.service's cgroup: %q %v", main, cg, err)
	}
	// Under a unit the container logs to the journal: journalctl -u and rpod logs show its output.
	unitLogs(t, env, "qhello.service", "qhello", "qhello-started\n")

	systemctlOK(t, "stop", "qhello.service")
	if st := strings.TrimSpace(systemctl(t, "is-active", "qhello.service").Out); st != "inactive" {
		t.Errorf("qhello.service is %s after stop, want inactive", st)
	}
	// The container took the stop signal and exited 0 (trap): the monitor,
	// the main process, ended with its code, so the unit stopped cleanly.
	if r := strings.TrimSpace(systemctl(t, "show", "-p", "Result", "--value", "qhello.service").Out); r != "success" {
		t.Errorf("qhello.service's Result is %q after stop, want success\n%s", r, unitDiag(t, "qhello.service"))
	}
	if st := strings.TrimSpace(systemctl(t, "show", "-p", "ExecMainStatus", "--value", "qhello.service").Out); st != "0" {
		t.Errorf("qhello.service's main process exited %q, want the container's 0", st)
	}
	if out := ok(t, env, "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "qhello") {
		t.Errorf("the container is still there after stop (--rm):\n%s", out)
	}
}

// TestGenerateSystemdNewUnit: rpod generate systemd --new gives a unit that
// systemd runs.
func TestGenerateSystemdNewUnit(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "create", "--name", "gnew", "busybox", "sh", "-c", `echo gnew-started; trap "exit 0" TERM; while :; do sleep 0.1; done`)
	args := []string{"generate", "systemd", "--new", "--name"}
	for _, k := range []string{"HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "CONTAINERS_REGISTRIES_CONF"} {
		args = append(args, "--env", k+"="+getenv(env, k))
	}
	unit := ok(t, env, append(args, "gnew")...)
	ok(t, env, "rm", "gnew")
	dir := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "systemd", "user")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "container-gnew.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		systemctl(t, "stop", "container-gnew.service")
		os.Remove(path)
		systemctl(t, "daemon-reload")
	})
	systemctlOK(t, "daemon-reload")
	if r := systemctl(t, "start", "container-gnew.service"); r.Code != 0 {
		t.Fatalf("start container-gnew.service: exit %d: %s\n%s\n%s", r.Code, r.Err,
			systemctl(t, "status", "--no-pager", "container-gnew.service").Out, rerun(t, env, "container-gnew.service"))
	}
	waitUntil(t, "gnew running", func() bool {
		return strings.Contains(run(env, nil, "ps", "--format", "{{.Names}}").Out, "gnew")
	})
	unitLogs(t, env, "container-gnew.service", "gnew", "gnew-started\n")
	systemctlOK(t, "stop", "container-gnew.service")
	if out := ok(t, env, "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "gnew") {
		t.Errorf("gnew is still there after stop:\n%s", out)
	}
}

// TestQuadletMalformedKey: a bad key is reported with its file and line,
// and the unit is not generated.
func TestQuadletMalformedKey(t *testing.T) {
	env := newWorld(t)
	dir := filepath.Join(getenv(env, "XDG_CONFIG_HOME"), "containers", "systemd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "bad.container")
	if err := os.WriteFile(file, []byte("[Container]\nImage=busybox\nPublishPorts=80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantError(t, run(env, nil, "systemd", "dryrun"), 1, file+`:3: unsupported key "PublishPorts" in section [Container]`)
	out := t.TempDir()
	wantError(t, run(env, nil, "systemd", "generator", out), 1, file+":3:")
	if _, err := os.Stat(filepath.Join(out, "bad.service")); err == nil {
		t.Errorf("bad.service was generated")
	}
}

// TestGenerateSystemdExisting: the unit of rpod generate systemd (without
// --new) starts and stops an existing container.
func TestGenerateSystemdExisting(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "create", "--name", "gold", "busybox", "sh", "-c", `trap "exit 0" TERM; while :; do sleep 0.1; done`)
	args := []string{"generate", "systemd", "--name"}
	for _, k := range []string{"HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "CONTAINERS_REGISTRIES_CONF"} {
		args = append(args, "--env", k+"="+getenv(env, k))
	}
	unit := ok(t, env, append(args, "gold")...)
	dir := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "systemd", "user")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "container-gold.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		systemctl(t, "stop", "container-gold.service")
		os.Remove(path)
		systemctl(t, "daemon-reload")
	})
	systemctlOK(t, "daemon-reload")
	if r := systemctl(t, "start", "container-gold.service"); r.Code != 0 {
		t.Fatalf("start container-gold.service: exit %d: %s\n%s\n%s", r.Code, r.Err,
			systemctl(t, "status", "--no-pager", "container-gold.service").Out, rerun(t, env, "container-gold.service"))
	}
	status := func() string {
		return strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.Status}}", "gold"))
	}
	waitUntil(t, "gold started", func() bool { return status() != "created" })
	// The unit stays active while the container runs: its main process is the monitor.
	time.Sleep(2 * time.Second)
	if st := strings.TrimSpace(systemctl(t, "is-active", "container-gold.service").Out); st != "active" || status() != "running" {
		t.Fatalf("a while after start: unit %s, container %s; want active and running\n%s\ninspect: %s", st, status(),
			systemctl(t, "status", "--no-pager", "container-gold.service").Out,
			run(env, nil, "inspect", "-f", "{{json .State}}", "gold").Out)
	}
	systemctlOK(t, "stop", "container-gold.service")
	if s := status(); s != "exited" {
		t.Errorf("after systemctl stop the container is %s, want exited", s)
	}
}

// TestQuadletRestartOnFailure: a container that crashes is restarted by
// systemd (Restart=on-failure): the monitor, the unit's main process,
// exits with the container's code.
func TestQuadletRestartOnFailure(t *testing.T) {
	env := newWorld(t)
	dir := t.TempDir()
	installQuadlet(t, env, "qcrash.container", fmt.Sprintf(`[Container]
Image=busybox
ContainerName=qcrash
Volume=%s:/d
Exec=sh -c 'echo run >> /d/runs; [ $(wc -l < /d/runs) -ge 3 ] || exit 3; while :; do sleep 0.1; done'
StopTimeout=2

[Service]
Environment=%s
TimeoutStartSec=300
Restart=on-failure
RestartSec=1
`, dir, worldServiceEnv(env)))
	if r := systemctl(t, "start", "qcrash.service"); r.Code != 0 {
		t.Logf("first start: exit %d (the container crashes at once): %s", r.Code, r.Err)
	}
	waitUntil(t, "the third run, which stays up", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "runs"))
		return strings.Count(string(b), "run") >= 3 &&
			strings.TrimSpace(systemctl(t, "is-active", "qcrash.service").Out) == "active" &&
			strings.Contains(run(env, nil, "ps", "--format", "{{.Names}}").Out, "qcrash")
	})
	if n, _ := strconv.Atoi(strings.TrimSpace(systemctl(t, "show", "-p", "NRestarts", "--value", "qcrash.service").Out)); n < 2 {
		t.Errorf("qcrash.service restarted %d times, want 2", n)
	}
	// sh as PID 1 ignores TERM: killed after StopTimeout, and yet a clean
	// stop of the unit, since the stop was asked for.
	systemctlOK(t, "stop", "qcrash.service")
	if r := strings.TrimSpace(systemctl(t, "show", "-p", "Result", "--value", "qcrash.service").Out); r != "success" {
		t.Errorf("qcrash.service's Result is %q after stop, want success\n%s", r, unitDiag(t, "qcrash.service"))
	}
}

// notifierEnv makes the guest test binary, bind-mounted into a container,
// a tiny sd_notify client (busybox has no systemd-notify): it waits for
// the file the variable names, then sends READY=1 to $NOTIFY_SOCKET.
const notifierEnv = "RPOD_GUEST_NOTIFIER"

func init() {
	gate := os.Getenv(notifierEnv)
	if gate == "" {
		return
	}
	for {
		if _, err := os.Stat(gate); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	conn, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
	if err == nil {
		_, err = conn.Write([]byte("READY=1"))
	}
	if err != nil {
		fmt.Println("notifier:", err)
		os.Exit(1)
	}
	fmt.Println("notifier: READY=1 sent")
	// As PID 1 the default action of TERM is to ignore it: stop cleanly.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	<-term
	os.Exit(0)
}

// TestQuadletNotify: with Notify=true (--sdnotify=container) the unit is
// active only once the container itself sends READY=1.
func TestQuadletNotify(t *testing.T) {
	env := newWorld(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	installQuadlet(t, env, "qnotify.container", fmt.Sprintf(`[Container]
Image=busybox
ContainerName=qnotify
Notify=true
Volume=%s:/notifier:ro
Volume=%s:/d
Environment=%s=/d/go
Exec=/notifier

[Service]
Environment=%s
TimeoutStartSec=300
`, self, dir, notifierEnv, worldServiceEnv(env)))
	systemctlOK(t, "start", "--no-block", "qnotify.service")
	waitUntil(t, "the container running", func() bool {
		return strings.Contains(run(env, nil, "ps", "--format", "{{.Names}}").Out, "qnotify")
	})
	if st := strings.TrimSpace(systemctl(t, "is-active", "qnotify.service").Out); st != "activating" {
		t.Errorf("qnotify.service is %s before the container sent READY=1, want activating\n%s", st,
			systemctl(t, "status", "--no-pager", "qnotify.service").Out)
	}
	main := strings.TrimSpace(systemctl(t, "show", "-p", "MainPID", "--value", "qnotify.service").Out)
	if mon := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.ConmonPid}}", "qnotify")); main != mon {
		t.Errorf("qnotify.service's main PID is %q, want the monitor's %s", main, mon)
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "qnotify.service active after READY=1", func() bool {
		return strings.TrimSpace(systemctl(t, "is-active", "qnotify.service").Out) == "active"
	})
	if out := run(env, nil, "logs", "qnotify").Out; !strings.Contains(out, "READY=1 sent") {
		t.Logf("the container's log (the journal's, under a unit): %q", out)
	}
	systemctlOK(t, "stop", "qnotify.service")
}

// TestQuadletRestartService: rpod-restart.service (contrib/systemd) starts
// the --restart=always containers again when the user's systemd starts,
// and stops them when it stops. Here the reboot is simulated as the host's
// TestStateSurvivesReboot does (the world's processes killed, its runtime
// directory emptied) and the unit started by hand, as the user manager does
// at boot; TestRebootLingeringUser reboots the guest for real.
func TestQuadletRestartService(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "4242")
	ok(t, env, "run", "-d", "--name", "never", "busybox", "sleep", "4242")
	rt := getenv(env, "XDG_RUNTIME_DIR")
	var pids []int
	for _, n := range []string{"always", "never"} {
		for _, f := range []string{"{{.State.Pid}}", "{{.State.ConmonPid}}"} {
			p, _ := strconv.Atoi(strings.TrimSpace(ok(t, env, "inspect", "-f", f, n)))
			pids = append(pids, p)
		}
	}
	if b, err := os.ReadFile(filepath.Join(rt, "rpod", "pause.pid")); err == nil {
		p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		pids = append(pids, p)
	}
	for _, p := range pids {
		if p > 0 {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	waitUntil(t, "the world's processes gone", func() bool {
		for _, p := range pids {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil && !strings.Contains(string(b), ") Z ") {
				return false
			}
		}
		return true
	})
	ents, _ := os.ReadDir(rt)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(rt, e.Name()))
	}

	src, err := contrib.Units.ReadFile("rpod-restart.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(src), "@BINDIR@", filepath.Dir(rpodBin))
	unit = strings.Replace(unit, "[Service]\n", "[Service]\nEnvironment="+worldServiceEnv(env)+"\n", 1)
	installUnit(t, "rpod-restart.service", unit)
	systemctlOK(t, "start", "rpod-restart.service")
	if out := ok(t, env, "ps", "--format", "{{.Names}}"); strings.TrimSpace(out) != "always" {
		t.Errorf("after rpod-restart.service started, running: %q, want always only", out)
	}
	systemctlOK(t, "stop", "rpod-restart.service")
	if out := ok(t, env, "ps", "--format", "{{.Names}}"); strings.TrimSpace(out) != "" {
		t.Errorf("after rpod-restart.service stopped, running: %q, want none", out)
	}
}

// installUnit writes a unit into the user's runtime unit directory and reloads.
func installUnit(t *testing.T, name, body string) {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "systemd", "user")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		systemctl(t, "stop", name)
		os.Remove(path)
		systemctl(t, "daemon-reload")
	})
	systemctlOK(t, "daemon-reload")
}

// unitLogs checks that a unit's container, whose output is want, logs to
// the journal under the unit: journalctl --user -u unit (where the journal
// has this user's files; else --user-unit, the same match over the system
// journal) and rpod logs both show it.
func unitLogs(t *testing.T, env []string, unit, name, want string) {
	t.Helper()
	if lt := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.HostConfig.LogConfig.Type}}", name)); lt != "journald" {
		t.Errorf("%s's log driver under %s: %q, want journald", name, unit, lt)
	}
	args := []string{"--user-unit", unit}
	if m, _ := filepath.Glob(fmt.Sprintf("/var/log/journal/*/user-%d.journal", os.Getuid())); len(m) > 0 {
		args = []string{"--user", "-u", unit}
	}
	t.Logf("journalctl %s", strings.Join(args, " "))
	// The unit's own messages (systemd's "Started ...") come between the
	// container's lines: want's lines in order, not side by side.
	found := func() bool {
		j := strings.Split(runCmd(os.Environ(), nil, "journalctl", append(args, "--no-pager", "-o", "cat")...).Out, "\n")
		for _, l := range strings.Split(strings.TrimSuffix(want, "\n"), "\n") {
			i := slices.Index(j, l)
			if i < 0 {
				return false
			}
			j = j[i+1:]
		}
		return true
	}
	for deadline := time.Now().Add(waitTimeout); !found(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			files, _ := filepath.Glob("/var/log/journal/*/*.journal")
			t.Fatalf("timed out waiting for %q in journalctl %s\njournal files %v, machine-id %s\n"+
				"the container's entries (journalctl --user-unit, the same match over every file):\n%s", want, strings.Join(args, " "),
				files, runCmd(os.Environ(), nil, "cat", "/etc/machine-id").Out,
				runCmd(os.Environ(), nil, "journalctl", "--user-unit", unit, "-n", "2", "-o", "verbose", "--no-pager").Out)
		}
	}
	if out := ok(t, env, "logs", name); out != want {
		t.Errorf("rpod logs %s: %q, want %q", name, out, want)
	}
}

// unitDiag is a unit's status and its journal, for failure messages.
func unitDiag(t *testing.T, unit string) string {
	return systemctl(t, "status", "--no-pager", "-n", "40", unit).Out +
		runCmd(os.Environ(), nil, "journalctl", "--user", "-u", unit, "-n", "60", "--no-pager").Out
}
