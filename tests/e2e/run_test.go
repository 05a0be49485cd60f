package e2e

import (
	"fmt"
	"io"
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

func TestRunEcho(t *testing.T) {
	r := rpod(t, "run", "--rm", "busybox", "echo", "hi")
	if r.Code != 0 || r.Out != "hi\n" {
		t.Fatalf("got exit %d stdout %q stderr %q, want hi", r.Code, r.Out, r.Err)
	}
}

func TestRunIsPID1InItsOwnNamespaces(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "busybox", "sh", "-c", "echo $$; ps -o pid,comm | wc -l; for n in pid net mnt uts ipc cgroup; do readlink /proc/self/ns/$n; done")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "1" {
		t.Errorf("container's shell has pid %s, want 1", lines[0])
	}
	// header, sh, ps, wc: the host's processes are not there.
	if n, _ := strconv.Atoi(strings.TrimSpace(lines[1])); n > 4 {
		t.Errorf("container sees %d lines of processes, want at most 4 (its own)", n)
	}
	for i, ns := range []string{"pid", "net", "mnt", "uts", "ipc", "cgroup"} {
		host, err := os.Readlink("/proc/self/ns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		if lines[2+i] == host {
			t.Errorf("container shares the host's %s namespace (%s)", ns, host)
		}
	}
}

func TestRunIDIsRootInsideAndUserOutside(t *testing.T) {
	if out := ok(t, baseEnv, "run", "--rm", "busybox", "id"); !strings.HasPrefix(out, "uid=0(root) gid=0(root)") {
		t.Errorf("id inside = %q, want root", out)
	}
	// A container process, seen from the host, runs as the user's own uid.
	cmd := exec.Command(rpodBin, "run", "--rm", "busybox", "sleep", "31337")
	cmd.Env = baseEnv
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := waitForProcess(t, "sleep 31337")
	// Killing the container's process, not rpod, lets --rm clean up.
	defer cmd.Wait()
	defer syscall.Kill(pid, syscall.SIGKILL)
	st, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
		t.Errorf("container process runs as host uid %d, want %d", uid, os.Getuid())
	}
}

// waitForProcess finds a host pid whose command line is cmdline.
func waitForProcess(t *testing.T, cmdline string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ") == cmdline {
				return pid
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no process %q appeared", cmdline)
	return 0
}

func TestRunWritesLandInStoreOwnedByUser(t *testing.T) {
	name := "writer"
	ok(t, baseEnv, "run", "--name", name, "busybox", "sh", "-c", "echo data > /created-by-root")
	defer rpod(t, "rm", name)
	data := getenv(baseEnv, "XDG_DATA_HOME")
	// In the container's own store (ctrindex), which holds its writable layer.
	matches, _ := filepath.Glob(filepath.Join(data, "rpod/storage/rpod/containers/*/storage/overlay/*/diff/created-by-root"))
	if len(matches) != 1 {
		t.Fatalf("found %d copies of the file in the store, want 1: %v", len(matches), matches)
	}
	st, err := os.Stat(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
		t.Errorf("file written by container root is owned by host uid %d, want the user's %d", uid, os.Getuid())
	}
}

func TestRunHostIsHidden(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "busybox", "sh", "-c", "ls -a /root; ls /home; ps -o comm")
	for _, leak := range []string{"rpod-pause", "go", ".bashrc"} {
		if strings.Contains(out, leak) {
			t.Errorf("container sees %q from the host:\n%s", leak, out)
		}
	}
	// The old root is detached: no path leads back to the host's filesystem.
	out = ok(t, baseEnv, "run", "--rm", "busybox", "cat", "/proc/self/mountinfo")
	if strings.Contains(out, baseDir) && !strings.Contains(out, "overlay") {
		t.Errorf("host paths visible in the container's mounts:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 4 && (f[4] == "/home" || f[4] == "/root" || f[4] == "/usr") {
			t.Errorf("host directory mounted in the container: %s", l)
		}
	}
}

func TestRunMounts(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "busybox", "cat", "/proc/mounts")
	want := map[string]string{"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs", "/dev/mqueue": "mqueue", "/sys": "sysfs"}
	got := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 3 {
			got[f[1]] = f[2] + " " + f[3]
		}
	}
	for mp, fs := range want {
		if !strings.HasPrefix(got[mp], fs+" ") {
			t.Errorf("%s is %q, want a %s mount", mp, got[mp], fs)
		}
	}
	if !strings.Contains(got["/sys"], "ro") {
		t.Errorf("/sys is not read-only: %s", got["/sys"])
	}
	out = ok(t, baseEnv, "run", "--rm", "busybox", "sh", "-c",
		"for d in null zero full random urandom tty; do test -c /dev/$d && echo $d; done; "+
			"head -c 4 /dev/zero | wc -c; touch /sys/x 2>/dev/null || echo sys-ro; echo 1 2>/dev/null > /proc/sys/kernel/hostname || echo procsys-ro")
	for _, w := range []string{"null", "zero", "full", "random", "urandom", "tty", "4", "sys-ro", "procsys-ro"} {
		if !regexp.MustCompile(`(?m)^` + w + `$`).MatchString(out) {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
}

func TestRunCapabilitiesAndSeccomp(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "busybox", "grep", "-E", "^(CapEff|CapBnd|Seccomp):", "/proc/self/status")
	// podman's 11 default capabilities.
	if !strings.Contains(out, "CapEff:\t00000000800405fb") || !strings.Contains(out, "CapBnd:\t00000000800405fb") {
		t.Errorf("capabilities are not podman's default set:\n%s", out)
	}
	if !strings.Contains(out, "Seccomp:\t2") {
		t.Errorf("no seccomp filter:\n%s", out)
	}
	r := rpod(t, "run", "--rm", "busybox", "sh", "-c", "mount -t tmpfs none /mnt")
	if r.Code == 0 {
		t.Errorf("mount inside the container succeeded")
	}
	if out := ok(t, baseEnv, "run", "--rm", "-u", "nobody", "busybox", "grep", "^CapEff:", "/proc/self/status"); !strings.Contains(out, "0000000000000000") {
		t.Errorf("non-root user has capabilities: %s", out)
	}
}

func TestRunFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"hostname", []string{"--hostname", "box1", "busybox", "hostname"}, "box1\n"},
		{"env", []string{"-e", "FOO=bar baz", "busybox", "sh", "-c", "echo $FOO"}, "bar baz\n"},
		{"env-from-host", []string{"-e", "LANG", "busybox", "sh", "-c", "echo $LANG"}, "C\n"},
		{"workdir", []string{"-w", "/newdir", "busybox", "pwd"}, "/newdir\n"},
		{"user-name", []string{"-u", "nobody", "busybox", "id"}, "uid=65534(nobody) gid=65534(nogroup)\n"},
		{"user-uid-gid", []string{"-u", "123:456", "busybox", "sh", "-c", "id -u; id -g"}, "123\n456\n"},
		{"entrypoint", []string{"--entrypoint", "echo", "busybox", "a", "b"}, "a b\n"},
		{"entrypoint-json", []string{"--entrypoint", `["sh","-c","echo json"]`, "busybox"}, "json\n"},
		{"image-cmd", []string{"busybox"}, ""},
		{"path", []string{"busybox", "sh", "-c", "echo $PATH"}, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"},
		{"home", []string{"busybox", "sh", "-c", "echo $HOME"}, "/root\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := ok(t, baseEnv, append([]string{"run", "--rm"}, tc.args...)...)
			if out != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
		})
	}
	out := ok(t, baseEnv, "run", "--rm", "busybox", "hostname")
	if !regexp.MustCompile(`^[0-9a-f]{12}\n$`).MatchString(out) {
		t.Errorf("default hostname %q is not the short container id", out)
	}
}

func TestRunExitCodes(t *testing.T) {
	if r := rpod(t, "run", "--rm", "busybox", "sh", "-c", "exit 3"); r.Code != 3 {
		t.Errorf("exit code %d, want 3", r.Code)
	}
	// Killed by a signal: 128+N, as podman reports it.
	cmd := exec.Command(rpodBin, "run", "--rm", "busybox", "sleep", "4242")
	cmd.Env = baseEnv
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(waitForProcess(t, "sleep 4242"), syscall.SIGKILL)
	cmd.Wait()
	if c := cmd.ProcessState.ExitCode(); c != 137 {
		t.Errorf("container killed by SIGKILL: rpod exited %d, want 137", c)
	}
	wantError(t, rpod(t, "run", "--rm", "busybox", "nosuchcmd"), 127, `"nosuchcmd": executable file not found in $PATH`)
	wantError(t, rpod(t, "run", "--rm", "busybox", "/no/such/file"), 127, "no such file or directory")
	wantError(t, rpod(t, "run", "--rm", "busybox", "/etc/passwd"), 126, "permission denied")
	wantError(t, rpod(t, "run", "--bogus", "busybox"), 125, "unknown flag: --bogus")
	wantError(t, rpod(t, "run"), 125, "requires at least 1 arg")
	wantError(t, rpod(t, "run", "--rm", "-u", "nosuchuser", "busybox", "true"), 125, "unable to find user nosuchuser")
}

func TestRunStdin(t *testing.T) {
	r := run(baseEnv, strings.NewReader("through stdin\n"), "run", "--rm", "-i", "busybox", "cat")
	if r.Code != 0 || r.Out != "through stdin\n" {
		t.Errorf("-i: got %d %q %q", r.Code, r.Out, r.Err)
	}
	// Without -i the container's stdin is empty, as with podman.
	r = run(baseEnv, strings.NewReader("ignored\n"), "run", "--rm", "busybox", "cat")
	if r.Code != 0 || r.Out != "" {
		t.Errorf("without -i: got %d %q %q", r.Code, r.Out, r.Err)
	}
}

// startReady starts cmd, an rpod run whose container prints "ready" once
// it is set up, and waits for that line.
func startReady(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("container did not start: %q %v", buf, err)
	}
}

// rpod forwards the signals terminals and service managers send from the
// moment the command runs, and every other one once it has run a while
// (runtime.otherSignalsAfter: 20 ms, here 0.5 s).
func TestRunSignalIsForwarded(t *testing.T) {
	for _, tc := range []struct {
		sig   syscall.Signal
		name  string
		after time.Duration
	}{
		{syscall.SIGTERM, "TERM", 0},
		{syscall.SIGALRM, "ALRM", 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(rpodBin, "run", "--rm", "busybox", "sh", "-c", `trap "exit 42" `+tc.name+`; echo ready; while true; do sleep 0.1; done`)
			cmd.Env = baseEnv
			startReady(t, cmd)
			time.Sleep(tc.after)
			cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			if cmd.ProcessState.ExitCode() != 42 {
				t.Errorf("after SIG%s rpod exited %d (%v), want the container's trap code 42", tc.name, cmd.ProcessState.ExitCode(), err)
			}
		})
	}
}

func TestRunRemoveAndName(t *testing.T) {
	layers := func() int {
		data := getenv(baseEnv, "XDG_DATA_HOME")
		m, _ := filepath.Glob(filepath.Join(data, "rpod/storage/overlay/*/diff"))
		own, _ := filepath.Glob(filepath.Join(data, "rpod/storage/rpod/containers/*/storage/overlay/*/diff"))
		return len(m) + len(own)
	}
	// The first run of an image pins its ID-mapped top layer in the main
	// store, and the pin outlives the container (runtime/pin.go): run once
	// before counting, as a test run alone would otherwise see it appear.
	ok(t, baseEnv, "run", "--rm", "busybox", "true")
	ok(t, baseEnv, "ps", "-a") // after the teardowns of earlier tests' runs
	before := layers()
	ok(t, baseEnv, "run", "--rm", "--name", "gone", "busybox", "true")
	// The run reports its exit before its teardown; the next command waits for it.
	if out := ok(t, baseEnv, "ps", "-a"); strings.Contains(out, "gone") {
		t.Errorf("--rm container still listed:\n%s", out)
	}
	if after := layers(); after != before {
		t.Errorf("--rm left a layer behind: %d layers before, %d after", before, after)
	}
	if r := rpod(t, "run", "--name", "kept", "busybox", "sh", "-c", "exit 7"); r.Code != 7 {
		t.Fatalf("exit %d, want 7: %s", r.Code, r.Err)
	}
	out := ok(t, baseEnv, "ps", "-a")
	if !strings.Contains(out, "kept") || !strings.Contains(out, "Exited (7)") {
		t.Errorf("ps -a does not show the exited container:\n%s", out)
	}
	wantError(t, rpod(t, "run", "--name", "kept", "busybox", "true"), 125, `name "kept" is already in use`)
	ok(t, baseEnv, "rm", "kept")
	if out := ok(t, baseEnv, "ps", "-a"); strings.Contains(out, "kept") {
		t.Errorf("removed container still listed:\n%s", out)
	}
}

func TestMultilayerImage(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "multilayer", "sh", "-c",
		`id; pwd; ls /data; echo --; ls /opaque; echo --; stat -c "%i" /hl/a /hl/b; stat -c "%a %u" /usr/local/bin/suidfile /home/app/owned.txt; cat /hl/b`)
	want := "uid=1000(app) gid=1000(app) groups=1000(app)\n/home/app\nkept.txt\nlayer3.txt\n--\nnew\n--\n"
	if !strings.HasPrefix(out, want) && !strings.HasPrefix(out, strings.Replace(want, " groups=1000(app)", "", 1)) {
		t.Fatalf("multilayer view:\n%s\nwant it to start with:\n%s", out, want)
	}
	rest := strings.Split(strings.TrimSpace(out[strings.LastIndex(out, "--\n")+3:]), "\n")
	if len(rest) != 5 {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if rest[0] != rest[1] {
		t.Errorf("hard link lost: /hl/a inode %s, /hl/b inode %s", rest[0], rest[1])
	}
	if rest[2] != "4755 0" {
		t.Errorf("setuid file is %q, want mode 4755 owned by 0", rest[2])
	}
	if rest[3] != "644 1000" {
		t.Errorf("uid 1000 file is %q, want 644 owned by 1000", rest[3])
	}
	if rest[4] != "linked" {
		t.Errorf("hard link content %q", rest[4])
	}
}

// TestRunRefusedAfterPrestart: a foreground run starts its container's init
// step as soon as the image is found; refused after that (the name is
// taken), it says so in one line and leaves no init step behind.
func TestRunRefusedAfterPrestart(t *testing.T) {
	ok(t, baseEnv, "create", "--name", "prestart-taken", "busybox", "true")
	defer rpod(t, "rm", "prestart-taken")
	for i := 0; i < 5; i++ {
		wantError(t, rpod(t, "run", "--rm", "--name", "prestart-taken", "busybox", "true"), 125, "already in use")
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); string(b) == "rpod-init\x00__rpod_init\x00" {
			t.Errorf("process %s is an init step left by a refused run", e.Name())
		}
	}
}

// TestRunDiesWithKilledRpod: a container never outlives the foreground rpod
// that runs it, killed with SIGKILL (no cleanup can run), whatever user it
// runs as: a change of uid clears the kernel's parent-death signal, which
// the init step sets again before it execs.
func TestRunDiesWithKilledRpod(t *testing.T) {
	for i, flags := range [][]string{nil, {"--user", "1000:1000"}, {"--userns", "keep-id"}} {
		t.Run(strings.Join(append([]string{"user"}, flags...), " "), func(t *testing.T) {
			name := fmt.Sprintf("killed-rpod-%d", i)
			secs := fmt.Sprint(4300 + i)
			cmd := exec.Command(rpodBin, append(append([]string{"run", "--rm", "--name", name}, flags...), "busybox", "sleep", secs)...)
			cmd.Env = baseEnv
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rpod(t, "rm", "-f", name) })
			pid := waitForProcess(t, "sleep "+secs)
			cmd.Process.Kill()
			cmd.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for {
				b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				if f := strings.Fields(string(b)); err != nil || len(f) > 2 && f[2] == "Z" {
					break // gone, or dead and waiting for init to reap it
				}
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("the container's command (pid %d) still runs 10 s after rpod was killed", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestRunRmReportsBeforeTeardown: a foreground run --rm hands its caller the
// container's exit code before it unmounts and removes the container
// (userns/report.c). Proven by holding the container index's lock, which
// the removal needs, until the caller has its code; a command started
// afterwards waits for the removal, so it never sees the container.
func TestRunRmReportsBeforeTeardown(t *testing.T) {
	cmd := exec.Command(rpodBin, "run", "--rm", "-i", "--name", "reported", "busybox", "sh", "-c", "echo ready; read x; exit 5")
	cmd.Env = baseEnv
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	startReady(t, cmd)
	lock, err := os.OpenFile(filepath.Join(getenv(baseEnv, "XDG_DATA_HOME"), "rpod/storage/rpod/containers.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	unlocked := false
	unlock := func() {
		if !unlocked {
			syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
			unlocked = true
		}
	}
	defer unlock()
	stdin.Write([]byte("go\n"))
	stdin.Close()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
		if code := cmd.ProcessState.ExitCode(); code != 5 {
			t.Errorf("rpod run exited %d, want the container's 5", code)
		}
	case <-time.After(30 * time.Second):
		unlock()
		<-waited
		t.Fatal("rpod run --rm did not report the exit code while its removal waited for the store")
	}
	unlock()
	if out := ok(t, baseEnv, "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "reported") {
		t.Errorf("the removed container is still listed:\n%s", out)
	}
	// Its name is free at once, and a shell's $(...) has the output once
	// the code is reported: the teardown holds none of its pipes.
	for i := 0; i < 3; i++ {
		r := suite.RunCmd(baseEnv, nil, "sh", "-c", `v=$("$0" run --rm --name reported busybox echo captured); echo "[$v] $?"`, rpodBin)
		if r.Code != 0 || r.Out != "[captured] 0\n" {
			t.Fatalf("run %d with the name again: exit %d %q %q", i, r.Code, r.Out, r.Err)
		}
	}
}

// TestRunRmSurvivesHangup: rpod run --rm as a terminal's session leader
// (a shell that exec'd it, an ssh command): once it has reported the exit
// code, the terminal hangs up its process group, and that SIGHUP must not
// cut the container's removal short.
func TestRunRmSurvivesHangup(t *testing.T) {
	for i := 0; i < 3; i++ {
		s := startTTYIn(t, baseEnv, 24, 80, "run", "--rm", "-t", "--name", "hangup", "busybox", "true")
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			t.Fatal("rpod run -t did not exit")
		}
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("run %d: exit %d", i, code)
		}
		if out := ok(t, baseEnv, "ps", "-a", "--format", "{{.Names}} {{.Status}}"); strings.Contains(out, "hangup") {
			rpod(t, "rm", "-f", "hangup")
			t.Fatalf("run %d: the hangup left the container behind:\n%s", i, out)
		}
	}
}
