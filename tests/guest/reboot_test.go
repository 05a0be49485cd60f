//go:build guest

package guest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	contrib "github.com/rpod/rpod/contrib/systemd"
)

// The reboot test's containers: rbq from a Quadlet file, rbg from a unit of
// rpod generate systemd --new, rba run with --restart=always (started at
// boot by rpod-restart.service), rbn run without a restart policy. Each
// prints its name and the boot it runs in, then waits for TERM.
const (
	rebootImage = "localhost/rpod-reboot:latest"
	rebootCmd   = `echo %s started; cat /proc/sys/kernel/random/boot_id; trap "exit 0" TERM; while :; do sleep 1; done`
)

// userEnv is the guest user's own environment, as the user's systemd gives
// it to units: the default store and configuration, not a test world's.
func userEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "LANG=C"}
	for _, k := range []string{"HOME", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"} {
		env = append(env, k+"="+os.Getenv(k))
	}
	return withEnv(env, extra...)
}

func bootID(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// rebootDir keeps what the first boot tells the second; the home directory
// is on the disk the reboot keeps.
func rebootDir(t *testing.T) string {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(home, "rpod-reboot-test")
}

// TestRebootLingeringUser: after a real reboot of the guest, a lingering
// user's enabled units (from a Quadlet file and from rpod generate systemd
// --new) and a --restart=always container (rpod-restart.service) run again,
// with honest state and logs. tests/vm/guest-test runs it in a boot of its
// own (run-in-vm --reboot): RPOD_VM_BOOT=1 prepares, the guest reboots
// (systemd stops the units cleanly, the disk stays), RPOD_VM_BOOT=2 checks.
func TestRebootLingeringUser(t *testing.T) {
	switch os.Getenv("RPOD_VM_BOOT") {
	case "1":
		rebootPrepare(t)
	case "2":
		rebootCheck(t)
	default:
		t.Skip("needs a guest that reboots: run by tests/vm/guest-test in a boot of its own (run-in-vm --reboot)")
	}
}

func rebootPrepare(t *testing.T) {
	env := userEnv()
	if l := strings.TrimSpace(runCmd(env, nil, "loginctl", "show-user", strconv.Itoa(os.Getuid()), "-p", "Linger", "--value").Out); l != "yes" {
		t.Fatalf("the guest user does not linger (Linger=%q): its units would not start at boot", l)
	}
	dir := rebootDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "boot1"), []byte(bootID(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The image under a name that needs no registry after the reboot.
	ok(t, withEnv(env, "CONTAINERS_REGISTRIES_CONF="+getenv(baseEnv, "CONTAINERS_REGISTRIES_CONF")), "pull", "-q", "busybox")
	ok(t, withEnv(env, "CONTAINERS_REGISTRIES_CONF="+getenv(baseEnv, "CONTAINERS_REGISTRIES_CONF")), "tag", "busybox", rebootImage)

	home, _ := os.UserHomeDir()
	units := filepath.Join(home, ".config", "systemd", "user")
	if err := os.MkdirAll(units, 0o755); err != nil {
		t.Fatal(err)
	}
	// contrib/systemd's units, as make install puts them.
	for _, name := range []string{"rpod-restart.service", "rpod-user-wait-network-online.service"} {
		src, err := contrib.Units.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		body := strings.ReplaceAll(string(src), "@BINDIR@", filepath.Dir(rpodBin))
		if err := os.WriteFile(filepath.Join(units, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A Quadlet file, turned into rbq.service by the installed user generator.
	quadlets := filepath.Join(home, ".config", "containers", "systemd")
	if err := os.MkdirAll(quadlets, 0o755); err != nil {
		t.Fatal(err)
	}
	q := "[Unit]\nDescription=rpod reboot test, from a Quadlet file\n\n[Container]\nImage=" + rebootImage +
		"\nContainerName=rbq\nExec=sh -c '" + strings.Replace(rebootCmd, "%s", "rbq", 1) +
		"'\n\n[Service]\nTimeoutStartSec=300\n\n[Install]\nWantedBy=default.target\n"
	if err := os.WriteFile(filepath.Join(quadlets, "rbq.container"), []byte(q), 0o644); err != nil {
		t.Fatal(err)
	}

	// A unit of rpod generate systemd --new.
	ok(t, env, "create", "--name", "rbg", rebootImage, "sh", "-c", strings.Replace(rebootCmd, "%s", "rbg", 1))
	unit := ok(t, env, "generate", "systemd", "--new", "--name", "rbg")
	ok(t, env, "rm", "rbg")
	if err := os.WriteFile(filepath.Join(units, "container-rbg.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}

	systemctlOK(t, "daemon-reload")
	if p := strings.TrimSpace(systemctl(t, "show", "-p", "FragmentPath", "--value", "rbq.service").Out); !strings.Contains(p, "generator") {
		t.Fatalf("rbq.service comes from %q, not the user generator: guest-test's reboot boot installs it (see its reboot_setup)\n%s",
			p, journal(t))
	}
	if st := strings.TrimSpace(systemctl(t, "is-enabled", "rbq.service").Out); st != "generated" {
		t.Errorf("rbq.service is %q, want generated (enabled at boot by its [Install] section)", st)
	}
	if r := systemctl(t, "start", "rbq.service"); r.Code != 0 {
		t.Fatalf("start rbq.service: exit %d: %s\n%s", r.Code, r.Err, unitDiag(t, "rbq.service"))
	}
	if r := systemctl(t, "enable", "--now", "container-rbg.service"); r.Code != 0 {
		t.Fatalf("enable --now container-rbg.service: exit %d: %s\n%s", r.Code, r.Err, unitDiag(t, "container-rbg.service"))
	}

	ok(t, env, "run", "-d", "--name", "rba", "--restart", "always", rebootImage, "sh", "-c", strings.Replace(rebootCmd, "%s", "rba", 1))
	ok(t, env, "run", "-d", "--name", "rbn", rebootImage, "sh", "-c", strings.Replace(rebootCmd, "%s", "rbn", 1))
	systemctlOK(t, "enable", "--now", "rpod-restart.service")

	boot := bootID(t)
	for _, n := range []string{"rbq", "rbg", "rba", "rbn"} {
		waitUntil(t, n+"'s output", func() bool { return strings.Contains(run(env, nil, "logs", n).Out, boot) })
	}
	if got := psNames(t, env); !slices.Equal(got, []string{"rba", "rbg", "rbn", "rbq"}) {
		t.Fatalf("before the reboot, running: %v", got)
	}
	// rpod-restart.service's start leaves the running rba alone.
	if out := ok(t, env, "logs", "rba"); out != "rba started\n"+boot+"\n" {
		t.Errorf("rba's log once rpod-restart.service started: %q, want one start", out)
	}
	for _, n := range []string{"rba", "rbn"} {
		st := containerState(t, env, n)
		cg, _ := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/cgroup")
		mon := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.ConmonPid}}", n))
		mcg, _ := os.ReadFile("/proc/" + mon + "/cgroup")
		t.Logf("%s: container's cgroup %s; monitor's %s", n, strings.TrimSpace(string(cg)), strings.TrimSpace(string(mcg)))
	}
	t.Logf("prepared in boot %s; the guest reboots now", boot)
}

func rebootCheck(t *testing.T) {
	env := userEnv()
	b, err := os.ReadFile(filepath.Join(rebootDir(t), "boot1"))
	if err != nil {
		t.Fatalf("the first boot's record is gone (was the disk kept across the reboot?): %v", err)
	}
	boot1, boot2 := string(b), bootID(t)
	if boot1 == boot2 {
		t.Fatalf("the boot id is still %s: the guest did not reboot", boot1)
	}
	// The user's systemd started the enabled units at boot, before this
	// login: wait for its start-up to finish.
	if r := systemctl(t, "is-system-running", "--wait"); strings.TrimSpace(r.Out) != "running" {
		t.Errorf("the user's systemd is %q after boot\n%s", strings.TrimSpace(r.Out), systemctl(t, "list-units", "--failed", "--no-pager").Out)
	}
	t.Logf("systemd-analyze time: %s", head(runCmd(env, nil, "systemd-analyze", "time").Out, 1))
	for _, u := range []string{"rbq.service", "container-rbg.service", "rpod-restart.service"} {
		if st := strings.TrimSpace(systemctl(t, "is-active", u).Out); st != "active" {
			t.Errorf("%s is %s after the reboot, want active\n%s", u, st, unitDiag(t, u))
		}
	}
	if got := psNames(t, env); !slices.Equal(got, []string{"rba", "rbg", "rbq"}) {
		t.Errorf("after the reboot, running: %v, want rba rbg rbq", got)
	}

	// State: the containers running now started in this boot, with a live
	// process; rbn, which nothing restarts, is exited, not running.
	btime := bootTime(t)
	for _, n := range []string{"rba", "rbg", "rbq"} {
		st := containerState(t, env, n)
		if st.Status != "running" || st.Pid <= 0 || !exists("/proc/"+strconv.Itoa(st.Pid)) {
			t.Errorf("%s after the reboot: %+v, want running with a live process", n, st)
		}
		if st.StartedAt.Before(btime) {
			t.Errorf("%s started at %v, before this boot (%v)", n, st.StartedAt, btime)
		}
	}
	if st := containerState(t, env, "rbn"); st.Status != "exited" || st.Pid != 0 {
		t.Errorf("rbn after the reboot: %+v, want exited with no process", st)
	} else {
		t.Logf("rbn after the reboot: exit code %d, finished %v", st.ExitCode, st.FinishedAt)
	}
	for _, u := range []string{"rbq.service", "container-rbg.service"} {
		main := strings.TrimSpace(systemctl(t, "show", "-p", "MainPID", "--value", u).Out)
		name := strings.TrimPrefix(strings.TrimSuffix(u, ".service"), "container-")
		if mon := strings.TrimSpace(ok(t, env, "inspect", "-f", "{{.State.ConmonPid}}", name)); main != mon {
			t.Errorf("%s's main PID is %s, want %s's monitor %s", u, main, name, mon)
		}
	}

	// Logs. rba keeps its k8s-file log: both boots' output, in order. The
	// units' containers are new (--rm, --replace) and log to the journal.
	waitUntil(t, "rba's output of this boot", func() bool { return strings.Contains(run(env, nil, "logs", "rba").Out, boot2) })
	// The log holds every start, each "rba started" and its boot's id: the
	// first boot's first, then exactly one of this boot's.
	out := ok(t, env, "logs", "rba")
	starts := strings.Split(strings.TrimSuffix(out, "\n"), "rba started\n")
	if len(starts) < 3 || starts[0] != "" || starts[1] != boot1+"\n" || starts[len(starts)-1] != boot2 ||
		strings.Count(out, boot2) != 1 || strings.Count(out, boot1) != len(starts)-2 {
		t.Errorf("rpod logs rba after the reboot: %q, want the first boot's start(s), then one of this boot's", out)
	} else if n := len(starts) - 2; n != 1 {
		// Not the log's fault: the container really started again while
		// the first boot shut down.
		t.Errorf("rba started %d times in the first boot, want 1: its monitor restarted it (--restart=always) when the "+
			"user's systemd stopped its scope at shutdown, a stop that is no crash:\n%q", n, out)
	}
	unitLogs(t, env, "rbq.service", "rbq", "rbq started\n"+boot2+"\n")
	unitLogs(t, env, "container-rbg.service", "rbg", "rbg started\n"+boot2+"\n")
}

func head(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}

// psNames are the running containers' names, sorted.
func psNames(t *testing.T, env []string) []string {
	t.Helper()
	names := strings.Fields(ok(t, env, "ps", "--format", "{{.Names}}"))
	slices.Sort(names)
	return names
}

type rebootState struct {
	Status                string
	Pid, ExitCode         int
	StartedAt, FinishedAt time.Time
}

func containerState(t *testing.T, env []string, name string) rebootState {
	t.Helper()
	var st rebootState
	out := ok(t, env, "inspect", "-f", "{{json .State}}", name)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("inspect %s: %v: %q", name, err, out)
	}
	return st
}

// bootTime is when this boot began (/proc/stat's btime).
func bootTime(t *testing.T) time.Time {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(l, "btime "); found {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	t.Fatal("no btime in /proc/stat")
	return time.Time{}
}
