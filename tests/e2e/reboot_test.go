package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// gone reports whether pid has exited (a zombie counts as gone).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// TestStateSurvivesReboot simulates a reboot: every process of the world
// dies and the runtime directory (pause pid file, storage's runroot) is
// emptied, while the store itself stays.
func TestStateSurvivesReboot(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "up", "busybox", "sh", "-c", "echo booted; sleep 4242")
	ok(t, env, "create", "--name", "made", "busybox", "sh", "-c", "echo made ran")
	waitUntil(t, "the running container's output", func() bool { return run(env, nil, "logs", "up").Out == "booted\n" })

	st := recordedState(t, env, "up")
	runDir := getenv(env, "XDG_RUNTIME_DIR")
	var pause int
	b, err := os.ReadFile(filepath.Join(runDir, "rpod", "pause.pid"))
	if err == nil {
		fmt.Sscanf(string(b), "%d", &pause)
	}
	if st.Pid == 0 || st.MonitorPid == 0 || pause == 0 {
		t.Fatalf("container %d, monitor %d, pause %d (pause.pid %q, %v)", st.Pid, st.MonitorPid, pause, b, err)
	}
	for _, pid := range []int{st.MonitorPid, st.Pid, pause} {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", pid, err)
		}
	}
	waitUntil(t, "the world's processes to die", func() bool { return gone(st.MonitorPid) && gone(st.Pid) && gone(pause) })
	ents, err := os.ReadDir(runDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(runDir, e.Name())); err != nil {
			t.Fatalf("clear the runtime directory: %v", err)
		}
	}

	if l := psLine(t, env, "up"); !strings.Contains(l, "Exited") {
		t.Errorf("after the reboot the running container shows %q, want Exited", l)
	}
	if l := psLine(t, env, "made"); !strings.Contains(l, "Created") {
		t.Errorf("after the reboot the created container shows %q, want Created", l)
	}
	if out := ok(t, env, "wait", "up"); out != "-1\n" {
		t.Errorf("exit code of the container the reboot killed: %q, want -1 (unknown)", out)
	}
	// Both start again, and their logs are still there.
	ok(t, env, "start", "up")
	waitUntil(t, "the second boot's output", func() bool { return run(env, nil, "logs", "up").Out == "booted\nbooted\n" })
	if l := psLine(t, env, "up"); !strings.Contains(l, "Up ") {
		t.Errorf("started again: %q", l)
	}
	// Its /etc files lived in the emptied run directory: the start wrote them again.
	if out := ok(t, env, "exec", "up", "cat", "/etc/hosts"); !strings.Contains(out, "up") {
		t.Errorf("/etc/hosts after the reboot:\n%s", out)
	}
	ok(t, env, "start", "made")
	if out := ok(t, env, "wait", "made"); out != "0\n" {
		t.Errorf("created container after the reboot: wait %q", out)
	}
	if out := ok(t, env, "logs", "made"); out != "made ran\n" {
		t.Errorf("logs of the created container: %q", out)
	}
	ok(t, env, "stop", "-t", "0", "up")
	ok(t, env, "rm", "up", "made")
	ok(t, env, "run", "--rm", "busybox", "true")
}

// TestRunFilesInRuntimeDir: what only a run needs (the /etc files, the
// rootfs mount's owner) is written under the runtime directory, a tmpfs,
// not in the store: on a disk each file's write and removal cost a run
// --rm some milliseconds (bench/README). The record stays in the store.
func TestRunFilesInRuntimeDir(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "files", "busybox", "sleep", "4242")
	id := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.ID}}", "files"))
	in := func(dir string) []string {
		var names []string
		m, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
		return names
	}
	runDir := filepath.Join(getenv(env, "XDG_RUNTIME_DIR"), "rpod/storage/rpod/containers", id)
	run := in(filepath.Join(runDir, "userdata"))
	store := in(filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod/storage/rpod/containers", id))
	for _, f := range []string{"hosts", "resolv.conf", "hostname", "mount.owner"} {
		if !slices.Contains(run, f) {
			t.Errorf("%s not in the run directory: %v", f, run)
		}
		if slices.Contains(store, f) {
			t.Errorf("%s in the store's container directory: %v", f, store)
		}
	}
	if !slices.Contains(store, "state.json") {
		t.Errorf("state.json not in the store: %v", store)
	}
	if out := ok(t, env, "exec", "files", "cat", "/etc/hostname"); out != id[:12]+"\n" {
		t.Errorf("/etc/hostname: %q, want %q", out, id[:12])
	}
	ok(t, env, "rm", "-f", "-t", "0", "files")
	if _, err := os.Stat(runDir); !os.IsNotExist(err) {
		t.Errorf("the run directory outlived rm: %v", err)
	}
	if left := in(filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod/storage/rpod/containers")); len(left) != 0 {
		t.Errorf("the run directory outlived rm: %v", left)
	}
}
