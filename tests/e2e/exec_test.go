package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runningContainer is a container started with rpod run in the background.
type runningContainer struct {
	name, id string
	pid      int // the container's first process, on the host
}

// startContainer runs `rpod run --rm --name NAME busybox sleep 1000` in the
// background, waits until rpod ps lists it, and kills its process (which
// lets --rm clean up) when the test ends.
func startContainer(t *testing.T, name string) runningContainer {
	t.Helper()
	cmd := exec.Command(rpodBin, "run", "--rm", "--name", name, "busybox", "sleep", "1000")
	cmd.Env = baseEnv
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	c := runningContainer{name: name}
	t.Cleanup(func() {
		if c.pid > 0 {
			syscall.Kill(c.pid, syscall.SIGKILL)
		}
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for c.id == "" {
		if time.Now().After(deadline) {
			t.Fatalf("container %s never showed in rpod ps", name)
		}
		select {
		case <-exited:
			t.Fatalf("rpod run --name %s exited early: %v", name, cmd.ProcessState)
		default:
		}
		for _, l := range strings.Split(rpod(t, "ps").Out, "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[len(f)-1] == name {
				c.id = f[0]
			}
		}
		if c.id == "" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Other tests may run sleep 1000 too: ours is the child of our rpod.
	c.pid = descendantWithCmdline(t, cmd.Process.Pid, "sleep 1000")
	return c
}

// descendantWithCmdline finds the descendant of ppid whose command line is
// cmdline: rpod run's container is its grandchild, under the rpod that
// the process the caller started (report.c) forked.
func descendantWithCmdline(t *testing.T, ppid int, cmdline string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		parent := map[int]int{}
		var found []int
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			i := strings.LastIndexByte(string(st), ')')
			if i < 0 {
				continue
			}
			f := strings.Fields(string(st)[i+1:])
			if len(f) < 2 {
				continue
			}
			parent[pid], _ = strconv.Atoi(f[1])
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ") == cmdline {
				found = append(found, pid)
			}
		}
		for _, pid := range found {
			for p, n := parent[pid], 0; p > 1 && n < 8; p, n = parent[p], n+1 {
				if p == ppid {
					return pid
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no descendant %q of process %d appeared", cmdline, ppid)
	return 0
}

func TestExecJoinsTheContainer(t *testing.T) {
	c := startContainer(t, "exec-ns")
	if out := ok(t, baseEnv, "exec", c.name, "cat", "/proc/1/cmdline"); out != "sleep\x001000\x00" {
		t.Errorf("pid 1 seen by exec has command line %q, want the container's sleep 1000", out)
	}
	if out := ok(t, baseEnv, "exec", c.name, "hostname"); strings.TrimSpace(out) != c.id {
		t.Errorf("exec's hostname = %q, want the container's %q", out, c.id)
	}
	for _, ns := range []string{"pid", "net", "mnt", "uts", "ipc", "cgroup", "user"} {
		want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", c.pid, ns))
		if err != nil {
			t.Fatal(err)
		}
		// pid_for_children: readlink runs as a child of exec's process.
		if got := strings.TrimSpace(ok(t, baseEnv, "exec", c.name, "readlink", "/proc/self/ns/"+ns)); got != want {
			t.Errorf("exec's %s namespace is %s, want the container's %s", ns, got, want)
		}
	}
	ok(t, baseEnv, "exec", c.name, "sh", "-c", "echo from-exec > /tmp/written")
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/tmp/written", c.pid))
	if err != nil || string(b) != "from-exec\n" {
		t.Errorf("the container sees /tmp/written as %q (%v), want from-exec", b, err)
	}
}

func TestExecUserEnvWorkdir(t *testing.T) {
	c := startContainer(t, "exec-env")
	if out := ok(t, baseEnv, "exec", c.name, "id"); !strings.HasPrefix(out, "uid=0(root) gid=0(root)") {
		t.Errorf("exec id = %q, want root", out)
	}
	if out := ok(t, baseEnv, "exec", "-u", "nobody", c.name, "id"); !strings.HasPrefix(out, "uid=65534(nobody)") {
		t.Errorf("exec -u nobody id = %q, want nobody", out)
	}
	if out := ok(t, baseEnv, "exec", "-e", "FOO=bar", c.name, "sh", "-c", "echo $FOO; echo $PATH"); !strings.HasPrefix(out, "bar\n/") {
		t.Errorf("exec -e FOO=bar printed %q, want bar and the container's PATH", out)
	}
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("# comment\n\nA=1\nB=two words\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := ok(t, baseEnv, "exec", "--env-file", envFile, "-e", "A=3", c.name, "sh", "-c", `echo "$A|$B"`); out != "3|two words\n" {
		t.Errorf("exec --env-file printed %q, want -e over the file: 3|two words", out)
	}
	if out := ok(t, baseEnv, "exec", "-w", "/tmp", c.name, "pwd"); out != "/tmp\n" {
		t.Errorf("exec -w /tmp pwd = %q", out)
	}
	if out := ok(t, baseEnv, "exec", c.name, "pwd"); out != "/\n" {
		t.Errorf("exec pwd = %q, want the container's /", out)
	}
}

func TestExecExitCodes(t *testing.T) {
	c := startContainer(t, "exec-codes")
	if r := rpod(t, "exec", c.name, "sh", "-c", "exit 7"); r.Code != 7 || strings.Contains(r.Err, "Error") {
		t.Errorf("exit 7: got exit %d, stderr %q", r.Code, r.Err)
	}
	if r := rpod(t, "exec", c.name, "sh", "-c", "kill -9 $$"); r.Code != 137 {
		t.Errorf("killed by SIGKILL: got exit %d, want 137; stderr %q", r.Code, r.Err)
	}
	wantError(t, rpod(t, "exec", c.name, "no-such-command"), 127, "no-such-command")
	wantError(t, rpod(t, "exec", c.name), 125, "command")
	wantError(t, rpod(t, "exec", c.name, "/etc/passwd"), 126, "/etc/passwd")
}

func TestExecForwardsSignals(t *testing.T) {
	c := startContainer(t, "exec-signal")
	cmd := exec.Command(rpodBin, "exec", c.name, "sleep", "4242")
	cmd.Env = baseEnv
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// rpod exec -> rpod-exec (joined the container, relays) -> the command.
	relay := descendantWithCmdline(t, cmd.Process.Pid, "rpod-exec __rpod_exec")
	descendantWithCmdline(t, relay, "sleep 4242")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("rpod exec still runs 10s after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exec'd sleep ended by SIGTERM: rpod exec exited %d, want %d", code, 128+int(syscall.SIGTERM))
	}
}

func TestExecStdin(t *testing.T) {
	c := startContainer(t, "exec-stdin")
	r := run(baseEnv, strings.NewReader("through stdin\n"), "exec", "-i", c.name, "cat")
	if r.Code != 0 || r.Out != "through stdin\n" {
		t.Errorf("exec -i cat: exit %d, stdout %q, stderr %q", r.Code, r.Out, r.Err)
	}
	// Without -i the command reads nothing.
	r = run(baseEnv, strings.NewReader("ignored\n"), "exec", c.name, "cat")
	if r.Code != 0 || r.Out != "" {
		t.Errorf("exec cat without -i: exit %d, stdout %q, stderr %q", r.Code, r.Out, r.Err)
	}
}

func TestExecTTY(t *testing.T) {
	c := startContainer(t, "exec-tty")
	s := startTTY(t, 30, 100, "exec", "-t", c.name, "sh", "-c", "tty; stty size; echo TERM=$TERM")
	code := s.wait(t)
	out := s.out.String()
	if code != 0 {
		t.Errorf("rpod exec -t exited %d, want 0; terminal:\n%q", code, out)
	}
	for _, want := range []string{"/dev/pts/", "30 100", "TERM=xterm"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "not a tty") {
		t.Errorf("exec has no terminal:\n%q", out)
	}

	s = startTTY(t, 30, 100, "exec", "-it", c.name, "sh")
	s.out.waitFor(t, shellPrompt, ttyTimeout)
	s.write(t, "echo $((6*7))\n")
	s.out.waitFor(t, regexp.MustCompile(`(?m)^42\r*$`), ttyTimeout)
	s.write(t, "exit 3\n")
	if code := s.wait(t); code != 3 {
		t.Errorf("rpod exec -it exited %d, want the shell's 3; terminal:\n%q", code, s.out.String())
	}
}

func TestExecCapsAndSeccomp(t *testing.T) {
	c := startContainer(t, "exec-caps")
	status := func(args ...string) (capEff, seccomp string) {
		out := ok(t, baseEnv, append(append([]string{"exec"}, args...), "grep", "-E", "^(CapEff|Seccomp):", "/proc/self/status")...)
		for _, l := range strings.Split(out, "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				switch k {
				case "CapEff":
					capEff = strings.TrimSpace(v)
				case "Seccomp":
					seccomp = strings.TrimSpace(v)
				}
			}
		}
		return capEff, seccomp
	}
	if caps, sc := status(c.name); caps != "00000000800405fb" || sc != "2" {
		t.Errorf("exec has CapEff %s and Seccomp %s, want podman's default 00000000800405fb and 2 (filter)", caps, sc)
	}
	if caps, sc := status("--privileged", c.name); caps == "00000000800405fb" || sc != "0" {
		t.Errorf("exec --privileged has CapEff %s and Seccomp %s, want every capability and no filter", caps, sc)
	}
}

func TestExecDetach(t *testing.T) {
	c := startContainer(t, "exec-detach")
	start := time.Now()
	ok(t, baseEnv, "exec", "-d", c.name, "sh", "-c", "sleep 3; echo later > /tmp/detached")
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("exec -d took %v: it waited for the command", d)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/tmp/detached", c.pid))
		if err == nil && string(b) == "later\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the detached command never wrote /tmp/detached (%q, %v)", b, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestExecNotRunning(t *testing.T) {
	wantError(t, rpod(t, "exec", "no-such-container", "true"), 125, "no-such-container")
	wantError(t, rpod(t, "exec", "no-such-container", "true"), 125, "not running")

	ok(t, baseEnv, "run", "--name", "exec-exited", "busybox", "true")
	defer rpod(t, "rm", "-f", "exec-exited")
	r := rpod(t, "exec", "exec-exited", "true")
	wantError(t, r, 125, "exec-exited")
	wantError(t, r, 125, "not running")
}
