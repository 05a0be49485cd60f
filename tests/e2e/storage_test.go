package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStorageProbeChoosesNativeOverlay(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	if out := ok(t, env, "info", "--format", "{{.Store.GraphDriverName}} {{.Store.GraphOptions}}"); out != "overlay map[overlay.skip_mount_home:true]\n" {
		t.Errorf("driver on this kernel = %q, want native overlay with no mount program", out)
	}
	rec, err := os.ReadFile(filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod/storage/rpod-driver.json"))
	if err != nil || !strings.Contains(string(rec), `"driver":"overlay"`) {
		t.Errorf("probe result not recorded in the store: %q %v", rec, err)
	}
}

func TestStorageDriverFlags(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flags  []string
		driver string
		mounts string
	}{
		{"vfs", []string{"--storage-driver", "vfs"}, "vfs", ""},
		{"fuse-overlayfs", []string{"--storage-driver", "overlay", "--storage-opt", "overlay.mount_program=/usr/bin/fuse-overlayfs"}, "overlay", "fuse.fuse-overlayfs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newWorld(t)
			ok(t, env, append(tc.flags, "pull", "-q", "busybox")...)
			out := ok(t, env, append(tc.flags, "run", "--rm", "busybox", "sh", "-c", "echo hi; grep ' / ' /proc/mounts")...)
			if !strings.HasPrefix(out, "hi\n") {
				t.Errorf("run with %s: %q", tc.name, out)
			}
			if tc.mounts != "" && !strings.Contains(out, tc.mounts) {
				t.Errorf("rootfs is not a %s mount: %q", tc.mounts, out)
			}
			if got := ok(t, env, append(tc.flags, "info", "--format", "{{.Store.GraphDriverName}}")...); got != tc.driver+"\n" {
				t.Errorf("info shows driver %q, want %s", got, tc.driver)
			}
			// The layers are removed with the same flags.
			ok(t, env, append(tc.flags, "unshare", "rm", "-rf", filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod"))...)
		})
	}
}

func TestStorageConfIsFollowed(t *testing.T) {
	env := newWorld(t)
	data := getenv(env, "XDG_DATA_HOME")
	conf := filepath.Join(getenv(env, "XDG_CONFIG_HOME"), "containers", "storage.conf")
	os.MkdirAll(filepath.Dir(conf), 0o700)
	graph := filepath.Join(data, "rpod", "confgraph")
	os.WriteFile(conf, []byte("[storage]\ndriver = \"vfs\"\ngraphroot = \""+graph+"\"\nrunroot = \""+filepath.Join(getenv(env, "XDG_RUNTIME_DIR"), "confrun")+"\"\n"), 0o600)
	out := ok(t, env, "info", "--format", "{{.Store.GraphDriverName}} {{.Store.GraphRoot}} {{.Store.ConfigFile}}")
	if out != "vfs "+graph+" "+conf+"\n" {
		t.Errorf("info = %q, want vfs %s %s", out, graph, conf)
	}
	ok(t, env, "pull", "-q", "busybox")
	if out := ok(t, env, "run", "--rm", "busybox", "echo", "hi"); out != "hi\n" {
		t.Errorf("run on the configured store: %q", out)
	}
}

func TestStorageUnwritableRoot(t *testing.T) {
	env := newWorld(t)
	// /proc/1 exists and is not the user's: no store can be created under it.
	wantError(t, run(env, nil, "--root", "/proc/1/rpod", "images"), 125, "create store directory")
}

// TestStorageStagingLeftoversPruned: rpod skips containers/storage's
// Shutdown (it makes the next command set the driver up again), except
// when a pull interrupted midway left a staging directory: the next
// command removes it.
func TestStorageStagingLeftoversPruned(t *testing.T) {
	env := newWorld(t)
	out := strings.Fields(ok(t, env, "info", "--format", "{{.Store.GraphDriverName}} {{.Store.GraphRoot}}"))
	if len(out) != 2 {
		t.Fatalf("info: %q", out)
	}
	stale := filepath.Join(out[1], out[0], "staging", "interrupted-pull")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(stale, "diff"), "half a layer")
	ok(t, env, "ps", "-a")
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the interrupted pull's staging directory is still there: %v", err)
	}
	ok(t, env, "ps", "-a") // and with none left, nothing to do
}

// TestStorageRmContainerUnsynced: a --rm container's records go to
// containers/storage's volatile files in its own store, written without a
// sync, as podman's do, and go with it when it exits; other containers'
// go to the synced ones.
func TestStorageRmContainerUnsynced(t *testing.T) {
	graph := strings.TrimSpace(ok(t, baseEnv, "info", "--format", "{{.Store.GraphRoot}}"))
	// read reads a file of the own store of container id (ctrindex).
	read := func(id, name string) string {
		b, _ := os.ReadFile(filepath.Join(graph, "rpod/containers", id, "storage", name))
		return string(b)
	}
	c := startContainer(t, "volatile-rm") // exec_test.go: run --rm
	id := strings.TrimSpace(ok(t, baseEnv, "inspect", "--format", "{{.ID}}", "volatile-rm"))
	kept := strings.TrimSpace(ok(t, baseEnv, "create", "--name", "volatile-kept", "busybox", "true"))
	t.Cleanup(func() { rpod(t, "rm", "-f", "volatile-kept") })

	volatile, synced := read(id, "overlay-containers/volatile-containers.json"), read(id, "overlay-containers/containers.json")
	if !strings.Contains(volatile, id) || strings.Contains(synced, id) {
		t.Errorf("--rm container %s: in volatile-containers.json %v, in containers.json %v", id, strings.Contains(volatile, id), strings.Contains(synced, id))
	}
	if kept == "" || strings.Contains(read(kept, "overlay-containers/volatile-containers.json"), kept) || !strings.Contains(read(kept, "overlay-containers/containers.json"), kept) {
		t.Errorf("container %q is not in its store's containers.json alone", kept)
	}
	var records []struct{ ID, Layer string }
	if err := json.Unmarshal([]byte(volatile), &records); err != nil {
		t.Fatalf("volatile-containers.json: %v", err)
	}
	layer := ""
	for _, r := range records {
		if r.ID == id {
			layer = r.Layer
		}
	}
	if layer == "" || !strings.Contains(read(id, "overlay-layers/volatile-layers.json"), layer) || strings.Contains(read(id, "overlay-layers/layers.json"), layer) {
		t.Errorf("--rm container's layer %q is not in volatile-layers.json alone", layer)
	}
	// Listed like any other.
	if !strings.Contains(ok(t, baseEnv, "ps", "--format", "{{.Names}}"), "volatile-rm") {
		t.Error("rpod ps does not list the --rm container")
	}

	// Once it exits, its store goes with it.
	syscall.Kill(c.pid, syscall.SIGKILL)
	deadline := time.Now().Add(30 * time.Second)
	for strings.Contains(ok(t, baseEnv, "ps", "-a", "--format", "{{.Names}}"), "volatile-rm") {
		if time.Now().After(deadline) {
			t.Fatal("the --rm container was not removed after its exit")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(graph, "rpod/containers", id)); !os.IsNotExist(err) {
		t.Errorf("the removed --rm container's directory is left: %v", err)
	}
}

// TestStorageContainersApart: each container's writable layer is in a
// store of its own (ctrindex), so that what a command does with one
// container reads no other's records: the cost of a start does not grow
// with the containers the user has. Proven by damaging another
// container's store: run, exec, stop and rm of this one do not notice,
// ps still lists both, and the damaged one is removed.
func TestStorageContainersApart(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	other := strings.TrimSpace(ok(t, env, "create", "--name", "other", "busybox", "true"))
	graph := strings.TrimSpace(ok(t, env, "info", "--format", "{{.Store.GraphRoot}}"))
	for _, f := range []string{"overlay-containers/containers.json", "overlay-layers/layers.json"} {
		writeFile(t, filepath.Join(graph, "rpod/containers", other, "storage", f), "{damaged")
	}
	if out := ok(t, env, "run", "--rm", "busybox", "echo", "started"); out != "started\n" {
		t.Errorf("run --rm: %q", out)
	}
	ok(t, env, "run", "-d", "--name", "this", "busybox", "sleep", "600")
	if out := ok(t, env, "exec", "this", "echo", "in"); out != "in\n" {
		t.Errorf("exec: %q", out)
	}
	out := ok(t, env, "ps", "-a", "--format", "{{.Names}}")
	if !strings.Contains(out, "this") || !strings.Contains(out, "other") {
		t.Errorf("ps -a lists %q, want this and other", out)
	}
	ok(t, env, "stop", "-t", "0", "this")
	ok(t, env, "rm", "this")
	// The damaged store's container still goes, with its name.
	r := run(env, nil, "rm", "-f", "other")
	if out := ok(t, env, "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "other") {
		t.Errorf("rm -f of the damaged container (exit %d %s) left it listed", r.Code, r.Err)
	}
	ok(t, env, "create", "--name", "other", "busybox", "true")
}

// TestStorageDamagedRecord: a container whose record no longer reads is
// named by ps (on stderr, with the fix), refused by the commands that need
// its record with that fix, and removed by rm, by name and by rm -a, which
// frees its name.
func TestStorageDamagedRecord(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	graph := strings.TrimSpace(ok(t, env, "info", "--format", "{{.Store.GraphRoot}}"))
	damage := func(name string) string {
		id := strings.TrimSpace(ok(t, env, "create", "--name", name, "busybox", "true"))
		writeFile(t, filepath.Join(graph, "rpod/containers", id, "config.json"), "{damaged")
		return id
	}
	broken := damage("broken")
	ok(t, env, "create", "--name", "fine", "busybox", "true")
	r := run(env, nil, "ps", "-a", "--format", "{{.Names}}")
	if r.Code != 0 || r.Out != "fine\n" {
		t.Errorf("ps -a: exit %d, %q, want fine alone", r.Code, r.Out)
	}
	if want := "rpod rm " + broken[:12]; !strings.Contains(r.Err, want) || !strings.Contains(r.Err, "damaged") {
		t.Errorf("ps -a warned %q, want the damaged record and %q", r.Err, want)
	}
	for _, args := range [][]string{{"start", "broken"}, {"inspect", "broken"}, {"container", "inspect", broken[:12]}} {
		wantError(t, run(env, nil, args...), 125, "rpod rm "+broken[:12])
	}
	if out := ok(t, env, "rm", "broken"); out != "broken\n" {
		t.Errorf("rm broken printed %q", out)
	}
	if _, err := os.Stat(filepath.Join(graph, "rpod/containers", broken)); !os.IsNotExist(err) {
		t.Errorf("rm left the container's directory: %v", err)
	}
	ok(t, env, "create", "--name", "broken", "busybox", "true")
	// It still exists, and --replace takes its name.
	again := damage("again")
	if r := run(env, nil, "container", "exists", "again"); r.Code != 0 {
		t.Errorf("container exists of the damaged container: exit %d %s", r.Code, r.Err)
	}
	if id := strings.TrimSpace(ok(t, env, "create", "--replace", "--name", "again", "busybox", "true")); id == again {
		t.Errorf("create --replace kept the damaged container %.12s", again)
	}
	other := damage("other")
	if out := ok(t, env, "rm", "-a"); !strings.Contains(out, other) {
		t.Errorf("rm -a printed %q, want the damaged %s too", out, other)
	}
	if r := run(env, nil, "ps", "-a", "-q"); r.Out != "" || r.Err != "" {
		t.Errorf("after rm -a, ps -a: %q %q", r.Out, r.Err)
	}
	ok(t, env, "create", "--name", "other", "busybox", "true")
}

// TestStorageCreateNameChecked: a name that podman would refuse is refused
// at create, with the rule.
func TestStorageCreateNameChecked(t *testing.T) {
	for _, name := range []string{"no/slash", "-dash", ".dot", "sp ace"} {
		wantError(t, rpod(t, "create", "--name", name, "busybox", "true"), 125, "invalid container name")
	}
}

// After a reboot the run root is empty: the main store asks its driver's
// kernel questions again, but some only a container's store asks (overlay
// on an idmapped lower layer, a volatile upper layer). Their answers must
// reach the main run root, or each run would probe them again, with test
// mounts, some 16 ms of every start (bench/README.md, session 16).
func TestStorageContainerProbesShared(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	dir := filepath.Join(strings.TrimSpace(ok(t, env, "info", "--format", "{{.Store.RunRoot}}")), "overlay")
	questions := []string{"idmapped-lower-dir", "volatile"}
	for _, q := range questions {
		for _, a := range []string{"-true", "-false"} {
			if err := os.Remove(filepath.Join(dir, q+a)); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	ok(t, env, "run", "--rm", "busybox", "true")
	for _, q := range questions {
		if m, _ := filepath.Glob(filepath.Join(dir, q+"-*")); len(m) != 1 {
			t.Errorf("the main run root has %q for %s, want the answer the container's store found", m, q)
		}
	}
}
