package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pausePID asks rpod for its pause process in env; 0 means none.
func pausePID(t *testing.T, env []string) int {
	t.Helper()
	out := ok(t, env, "info", "--format", "{{.Host.PausePID}}")
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("info PausePID printed %q", out)
	}
	return pid
}

// procState returns the state letter of /proc/PID/stat ("R", "S", "Z"...), or "" when the pid is gone.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// procStart returns field 22 of /proc/PID/stat, the process's start time.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// running reports whether pid is a live (not dead, not zombie) process.
// A killed process whose parent is an init that does not reap (as in some
// containers) stays a zombie: it counts as gone.
func running(pid int) bool {
	st := procState(pid)
	return st != "" && st != "Z" && st != "X" && st != "x"
}

// waitGone polls until pid no longer runs.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs (state %s)", pid, procState(pid))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkPause fails unless pid is a running rpod-pause owned by the test user.
func checkPause(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		t.Fatalf("no pause process (pid %d)", pid)
	}
	if !running(pid) {
		t.Fatalf("pause process %d does not run (state %q)", pid, procState(pid))
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		t.Fatal(err)
	}
	if string(comm) != "rpod-pause\n" {
		t.Errorf("process %d is named %q, want rpod-pause", pid, comm)
	}
	st, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
		t.Errorf("pause process %d is owned by uid %d, want %d", pid, uid, os.Getuid())
	}
}

func pidFilePath(env []string) string {
	return filepath.Join(getenv(env, "XDG_RUNTIME_DIR"), "rpod", "pause.pid")
}

// pidFilePause reads the world's pause.pid and checks it names a live rpod-pause with the recorded start time.
func pidFilePause(t *testing.T, env []string) int {
	t.Helper()
	b, err := os.ReadFile(pidFilePath(env))
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscanf(string(b), "%d %d", &pid, &start); err != nil {
		t.Fatalf("pid file holds %q: %v", b, err)
	}
	checkPause(t, pid)
	if st, err := procStart(pid); err != nil || st != start {
		t.Errorf("pid file records start time %d for %d, the process started at %d (%v)", start, pid, st, err)
	}
	return pid
}

// worldPauses lists the running rpod-pause processes of the user whose
// XDG_RUNTIME_DIR is the world's.
func worldPauses(env []string) []int {
	want := "XDG_RUNTIME_DIR=" + getenv(env, "XDG_RUNTIME_DIR")
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !running(pid) {
			continue
		}
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); string(comm) != "rpod-pause\n" {
			continue
		}
		environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		for _, kv := range strings.Split(string(environ), "\x00") {
			if kv == want {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// linesWith returns the lines of s containing sub.
func linesWith(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func currentUser(t *testing.T) (name string, uid int) {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username, os.Getuid()
}

// realSubIDLines returns the user's lines of a real subordinate id file and
// the ranges they give, in file order.
func realSubIDLines(t *testing.T, file string) (lines []string, ranges [][2]uint64) {
	t.Helper()
	name, uid := currentUser(t)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("no %s: %v", file, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(strings.TrimSpace(l), ":")
		if len(f) != 3 || (f[0] != name && f[0] != strconv.Itoa(uid)) {
			continue
		}
		start, err1 := strconv.ParseUint(f[1], 10, 32)
		count, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 {
			continue
		}
		lines = append(lines, strings.TrimSpace(l))
		ranges = append(ranges, [2]uint64{start, count})
	}
	if len(lines) == 0 {
		t.Skipf("%s has no range for %s", file, name)
	}
	return lines, ranges
}

// mapLines normalises a /proc/PID/uid_map to "A B C" lines.
func mapLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return out
}

func TestPauseProcessIsReused(t *testing.T) {
	env := newWorld(t)
	first := pausePID(t, env)
	ok(t, env, "unshare", "true")
	second := pausePID(t, env)
	if first == 0 || first != second {
		t.Fatalf("PausePID %d then %d: want the same non-zero pid", first, second)
	}
	checkPause(t, first)
	if got := pidFilePause(t, env); got != first {
		t.Errorf("pid file names %d, info %d", got, first)
	}
	if ps := worldPauses(env); len(ps) != 1 {
		t.Errorf("world has pause processes %v, want exactly one", ps)
	}
}

func TestPauseRacingFirstRunsShareOneNamespace(t *testing.T) {
	env := newWorld(t)
	const n = 6
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(env, nil, "unshare", "readlink", "/proc/self/ns/user")
		}()
	}
	wg.Wait()
	host, _ := os.Readlink("/proc/self/ns/user")
	for i, r := range results {
		if r.Code != 0 {
			t.Fatalf("racer %d: exit %d\nstdout: %s\nstderr: %s", i, r.Code, r.Out, r.Err)
		}
		if r.Out != results[0].Out {
			t.Errorf("racer %d is in %q, racer 0 in %q", i, r.Out, results[0].Out)
		}
		if r.Err != "" {
			t.Errorf("racer %d printed on stderr: %s", i, r.Err)
		}
	}
	if strings.TrimSpace(results[0].Out) == host {
		t.Errorf("unshare runs in the host's user namespace %s", host)
	}
	pid := pidFilePause(t, env)
	if ps := worldPauses(env); len(ps) != 1 || ps[0] != pid {
		t.Errorf("world has pause processes %v, want exactly %d", ps, pid)
	}
	// The pause process holds the namespace the racers ran in.
	if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid)); err != nil || ns+"\n" != results[0].Out {
		t.Errorf("pause process is in %q (%v), the racers in %q", ns, err, results[0].Out)
	}
}

func TestPauseStalePidFileIsReplaced(t *testing.T) {
	pid1Start, err := procStart(1)
	if err != nil {
		t.Fatal(err)
	}
	ownStart, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, content string }{
		{"dead-pid", "999999 1\n"},
		{"own-pid-wrong-start", fmt.Sprintf("%d %d\n", os.Getpid(), ownStart+1)},
		{"not-ours", fmt.Sprintf("1 %d\n", pid1Start)},
		{"garbage", "not a pid\n"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newWorld(t)
			dir := filepath.Dir(pidFilePath(env))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, pidFilePath(env), tc.content)
			r := run(env, nil, "unshare", "true")
			if r.Code != 0 {
				t.Fatalf("unshare true: exit %d: %s", r.Code, r.Err)
			}
			pid := pidFilePause(t, env)
			if pid == os.Getpid() || pid == 1 {
				t.Errorf("pid file still names %d", pid)
			}
		})
	}
	// A pause process that died (killed, OOM) is replaced on the next command.
	t.Run("killed-pause", func(t *testing.T) {
		env := newWorld(t)
		ok(t, env, "unshare", "true")
		old := pidFilePause(t, env)
		if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, old)
		r := run(env, nil, "unshare", "true")
		if r.Code != 0 {
			t.Fatalf("after the pause process died: exit %d: %s", r.Code, r.Err)
		}
		if pid := pidFilePause(t, env); pid == old {
			t.Errorf("pid file still names the dead pause process %d", old)
		}
	})
}

func TestSystemMigrateStopsPause(t *testing.T) {
	env := newWorld(t)
	before := pausePID(t, env)
	checkPause(t, before)
	ok(t, env, "system", "migrate")
	waitGone(t, before)
	if _, err := os.Stat(pidFilePath(env)); !os.IsNotExist(err) {
		t.Errorf("pid file left after migrate: %v", err)
	}
	after := pausePID(t, env)
	checkPause(t, after)
	if after == before {
		t.Errorf("PausePID %d unchanged after migrate", after)
	}
	// migrate with no pause process is not an error.
	ok(t, env, "system", "migrate")
	ok(t, env, "system", "migrate")
}

func TestUnshare(t *testing.T) {
	if out := ok(t, baseEnv, "unshare", "id", "-u"); out != "0\n" {
		t.Errorf("unshare id -u = %q, want 0", out)
	}
	_, uid := currentUser(t)
	_, ranges := realSubIDLines(t, "/etc/subuid")
	want := []string{fmt.Sprintf("0 %d 1", uid)}
	next := uint64(1)
	for _, r := range ranges {
		want = append(want, fmt.Sprintf("%d %d %d", next, r[0], r[1]))
		next += r[1]
	}
	got := mapLines(ok(t, baseEnv, "unshare", "cat", "/proc/self/uid_map"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("uid_map in the namespace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	graph := filepath.Join(getenv(baseEnv, "XDG_DATA_HOME"), "rpod", "storage")
	if out := ok(t, baseEnv, "unshare", "sh", "-c", "echo $CONTAINERS_GRAPHROOT"); out != graph+"\n" {
		t.Errorf("CONTAINERS_GRAPHROOT = %q, want %q", out, graph)
	}
	// The store is owned by the namespace's root.
	if out := ok(t, baseEnv, "unshare", "stat", "-c", "%u", graph); out != "0\n" {
		t.Errorf("graph root owner in the namespace = %q, want 0", out)
	}
	wantError(t, rpod(t, "unshare", "nosuchcmd"), 127, `"nosuchcmd"`)
	if r := rpod(t, "unshare", "sh", "-c", "exit 5"); r.Code != 5 || r.Err != "" {
		t.Errorf("unshare sh -c 'exit 5': exit %d stderr %q, want 5 and nothing", r.Code, r.Err)
	}
	// Arguments after the command are the command's, not rpod's.
	if out := ok(t, baseEnv, "unshare", "echo", "--help", "-v"); out != "--help -v\n" {
		t.Errorf("unshare echo --help -v = %q", out)
	}
}

func TestNoSubordinateRanges(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	writeFile(t, empty, "")
	env := newWorld(t, "RPOD_SUBUID_FILE="+empty, "RPOD_SUBGID_FILE="+empty)
	// The run pulls busybox too: the first namespace is created by this command.
	r := run(env, nil, "run", "--rm", "busybox", "echo", "hi")
	if r.Code != 0 || r.Out != "hi\n" {
		t.Fatalf("run: exit %d stdout %q\nstderr: %s", r.Code, r.Out, r.Err)
	}
	warns := linesWith(r.Err, "WARN")
	if len(warns) != 1 || !strings.Contains(warns[0], "usermod --add-subuids") || !strings.Contains(warns[0], "single-ID mapping") {
		t.Errorf("want one WARN line about the single-ID mapping, got:\n%s", r.Err)
	}
	_, uid := currentUser(t)
	if got := mapLines(ok(t, env, "unshare", "cat", "/proc/self/uid_map")); len(got) != 1 || got[0] != fmt.Sprintf("0 %d 1", uid) {
		t.Errorf("uid_map = %q, want the single line \"0 %d 1\"", got, uid)
	}
	if got := mapLines(ok(t, env, "unshare", "cat", "/proc/self/gid_map")); len(got) != 1 || got[0] != fmt.Sprintf("0 %d 1", os.Getgid()) {
		t.Errorf("gid_map = %q, want the single line \"0 %d 1\"", got, os.Getgid())
	}
	// The namespace exists now: no more warning.
	if r := run(env, nil, "run", "--rm", "busybox", "true"); r.Code != 0 || r.Err != "" {
		t.Errorf("second run: exit %d, stderr %q", r.Code, r.Err)
	}
}

func TestSubuidMalformedLines(t *testing.T) {
	lines, _ := realSubIDLines(t, "/etc/subuid")
	file := filepath.Join(t.TempDir(), "subuid")
	writeFile(t, file, "# ranges for tests\n\ngarbage\n"+strings.Join(lines, "\n")+"\n")
	env := newWorld(t, "RPOD_SUBUID_FILE="+file)
	r := run(env, nil, "unshare", "cat", "/proc/self/uid_map")
	if r.Code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.Code, r.Err)
	}
	if got := mapLines(r.Out); len(got) != 1+len(lines) {
		t.Errorf("uid_map has %d lines, want %d:\n%s", len(got), 1+len(lines), r.Out)
	}
	warns := linesWith(r.Err, "WARN")
	if len(warns) != 1 || !strings.Contains(warns[0], file+":3: malformed line") || !strings.Contains(warns[0], "garbage") {
		t.Errorf("want one WARN naming %s:3, got:\n%s", file, r.Err)
	}
	if r := run(env, nil, "unshare", "true"); r.Code != 0 || r.Err != "" {
		t.Errorf("with the namespace created: exit %d, stderr %q, want no warning again", r.Code, r.Err)
	}
}

func TestSubuidRangeContainsOwnID(t *testing.T) {
	name, uid := currentUser(t)
	file := filepath.Join(t.TempDir(), "subuid")
	writeFile(t, file, fmt.Sprintf("%s:%d:10\n", name, uid))
	env := newWorld(t, "RPOD_SUBUID_FILE="+file)
	r := run(env, nil, "unshare", "true")
	wantError(t, r, 125, file+":1: subordinate range")
	wantError(t, r, 125, fmt.Sprintf("contains your own id %d", uid))
	if ps := worldPauses(env); len(ps) != 0 {
		t.Errorf("a pause process was left: %v", ps)
	}
	if _, err := os.Stat(pidFilePath(env)); !os.IsNotExist(err) {
		t.Errorf("pid file written: %v", err)
	}
}

func TestNewuidmapMissing(t *testing.T) {
	env := newWorld(t, "PATH="+t.TempDir())
	r := run(env, nil, "unshare", "true")
	wantError(t, r, 125, "newuidmap not found in $PATH")
	wantError(t, r, 125, "uidmap")
	if ps := worldPauses(env); len(ps) != 0 {
		t.Errorf("a pause process was left: %v", ps)
	}
}

func TestNewuidmapNotSetuid(t *testing.T) {
	dir := nonSetuidHelpers(t)
	env := newWorld(t, "PATH="+dir+":/usr/bin:/bin")
	r := run(env, nil, "unshare", "true")
	wantError(t, r, 125, filepath.Join(dir, "newuidmap")+" is not setuid root")
	if ps := worldPauses(env); len(ps) != 0 {
		t.Errorf("a pause process was left: %v", ps)
	}
}

func TestRuntimeDirFallback(t *testing.T) {
	_, uid := currentUser(t)
	fallback := fmt.Sprintf("/tmp/rpod-run-%d", uid)
	if _, err := os.Lstat(fallback); os.IsNotExist(err) {
		// Registered before newWorld's teardown, so it runs after it.
		t.Cleanup(func() { os.RemoveAll(fallback) })
	}
	env := newWorld(t, "XDG_RUNTIME_DIR=/")
	r := run(env, nil, "unshare", "sh", "-c", "echo $CONTAINERS_RUNROOT")
	if r.Code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.Code, r.Err)
	}
	if want := fallback + "/rpod/storage\n"; r.Out != want {
		t.Errorf("runroot %q, want %q", r.Out, want)
	}
	warns := linesWith(r.Err, "WARN")
	if len(warns) != 1 || !strings.Contains(warns[0], fallback) || !strings.Contains(warns[0], "XDG_RUNTIME_DIR") {
		t.Errorf("want one WARN naming %s, got:\n%s", fallback, r.Err)
	}
	if strings.TrimSpace(strings.ReplaceAll(r.Err, warns[0], "")) != "" {
		t.Errorf("more than the warning on stderr:\n%s", r.Err)
	}
	pid := pausePID(t, env)
	checkPause(t, pid)
	if b, err := os.ReadFile(fallback + "/rpod/pause.pid"); err != nil || !strings.HasPrefix(string(b), strconv.Itoa(pid)+" ") {
		t.Errorf("fallback pid file %q (%v) does not name pause process %d", b, err, pid)
	}
	// A runtime dir that does not exist takes the same fallback, for the store too.
	missing := withEnv(env, "XDG_RUNTIME_DIR=/nonexistent-rpod-runtime")
	if r := run(missing, nil, "images"); r.Code != 0 || len(linesWith(r.Err, "WARN")) != 1 {
		t.Errorf("rpod images with XDG_RUNTIME_DIR missing: exit %d\nstderr: %s", r.Code, r.Err)
	}
}

func TestInfo(t *testing.T) {
	_, uid := currentUser(t)
	out := ok(t, baseEnv, "info")
	for _, want := range []string{"rootless: true", "graphDriverName: overlay", fmt.Sprintf("host_id: %d", uid)} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	cgv := "v1"
	var sfs unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &sfs) == nil && sfs.Type == unix.CGROUP2_SUPER_MAGIC {
		cgv = "v2"
	}
	if !regexp.MustCompile(`(?m)^\s*cgroupVersion: ` + cgv + `$`).MatchString(out) {
		t.Errorf("info lacks cgroupVersion: %s:\n%s", cgv, out)
	}
	if !regexp.MustCompile(`(?m)^\s*cgroupLimits: "?unavailable`).MatchString(out) {
		t.Errorf("info lacks a cgroupLimits line starting unavailable:\n%s", out)
	}
	// The uidmap is a list of entries; the user's uid is container root's.
	if !regexp.MustCompile(`(?m)^\s*- container_id: 0\n\s*host_id: ` + strconv.Itoa(uid) + `\n\s*size: 1$`).MatchString(out) {
		t.Errorf("info's uidmap does not map 0 to %d:\n%s", uid, out)
	}

	var in struct {
		Host struct {
			PausePID   int `json:"pausePid"`
			IDMappings struct {
				UIDMap []struct {
					ContainerID int `json:"container_id"`
					HostID      int `json:"host_id"`
					Size        int `json:"size"`
				} `json:"uidmap"`
			} `json:"idMappings"`
		} `json:"host"`
		Store struct {
			GraphRoot       string `json:"graphRoot"`
			GraphDriverName string `json:"graphDriverName"`
		} `json:"store"`
	}
	js := ok(t, baseEnv, "info", "--format", "json")
	if err := json.Unmarshal([]byte(js), &in); err != nil {
		t.Fatalf("info --format json is not JSON: %v\n%s", err, js)
	}
	if want := filepath.Join(getenv(baseEnv, "XDG_DATA_HOME"), "rpod", "storage"); in.Store.GraphRoot != want {
		t.Errorf("store.graphRoot = %q, want %q", in.Store.GraphRoot, want)
	}
	if m := in.Host.IDMappings.UIDMap; len(m) == 0 || m[0].ContainerID != 0 || m[0].HostID != uid || m[0].Size != 1 {
		t.Errorf("json uidmap %+v, want 0 -> %d first", m, uid)
	}
	if in.Host.PausePID == 0 {
		t.Errorf("json pausePid is 0")
	}
	if out := ok(t, baseEnv, "info", "--format", "{{.Store.GraphDriverName}}"); out != "overlay\n" {
		t.Errorf("info --format {{.Store.GraphDriverName}} = %q, want overlay", out)
	}
	wantError(t, rpod(t, "info", "--format", "{{.Nope"), 125, "--format")
	wantError(t, rpod(t, "info", "extra"), 125, "unknown command")
}

func TestInfoRootAndRunroot(t *testing.T) {
	env := newWorld(t)
	world := filepath.Dir(getenv(env, "XDG_DATA_HOME"))
	root, runroot := filepath.Join(world, "altroot"), filepath.Join(world, "altrun")
	t.Cleanup(func() { run(env, nil, "unshare", "rm", "-rf", root, runroot) })
	for _, args := range [][]string{
		{"--root", root, "--runroot", runroot, "info", "--format", "{{.Store.GraphRoot}} {{.Store.RunRoot}}"},
		{"--root=" + root, "--runroot=" + runroot, "info", "--format", "{{.Store.GraphRoot}} {{.Store.RunRoot}}"},
		{"info", "--root", root, "--runroot", runroot, "--format", "{{.Store.GraphRoot}} {{.Store.RunRoot}}"},
	} {
		if out := ok(t, env, args...); out != root+" "+runroot+"\n" {
			t.Errorf("rpod %s printed %q, want %q", strings.Join(args, " "), out, root+" "+runroot)
		}
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("--root directory not created: %v", err)
	}
	if _, err := os.Stat(filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod", "storage")); err == nil {
		t.Errorf("the default store was created although --root moved it")
	}
}

func TestVersionAndHelp(t *testing.T) {
	env := newWorld(t)
	out := ok(t, env, "version")
	if !regexp.MustCompile(`(?m)^Version:\s+\S+$`).MatchString(out) {
		t.Errorf("rpod version:\n%s", out)
	}
	out = ok(t, env, "--help")
	for _, c := range []string{"run", "pull", "info", "unshare"} {
		if !regexp.MustCompile(`(?m)^\s+` + c + `\s`).MatchString(out) {
			t.Errorf("rpod --help does not list %s:\n%s", c, out)
		}
	}
	if out := ok(t, env, "--version"); !strings.Contains(out, "version") {
		t.Errorf("rpod --version = %q", out)
	}
	ok(t, env, "run", "--help")
	// None of these needs the namespace.
	if _, err := os.Stat(pidFilePath(env)); !os.IsNotExist(err) {
		t.Errorf("version or help started a pause process (%v)", err)
	}
}
