package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestVolumeBindHostDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := ok(t, baseEnv, "run", "--rm", "--volume", dir+":/data:z", "busybox", "sh", "-c", "cat /data/hello; echo written > /data/out; mkdir /data/sub")
	if out != "from host\n" {
		t.Errorf("container read %q, want the host's file", out)
	}
	for _, name := range []string{"out", "sub"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the container's write is not on the host: %v", err)
		}
		if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Getuid() {
			t.Errorf("%s written by the container's root is owned by uid %d on the host, want the user's %d", name, uid, os.Getuid())
		}
	}
	// --mount says the same with keys; a missing target is created.
	out = ok(t, baseEnv, "run", "--rm", "--mount", "type=bind,source="+dir+",target=/new/place", "busybox", "cat", "/new/place/out")
	if out != "written\n" {
		t.Errorf("--mount bind read %q", out)
	}
}

func TestVolumeBindReadOnly(t *testing.T) {
	dir := t.TempDir()
	for _, flag := range [][]string{{"--volume", dir + ":/data:ro"}, {"--mount", "type=bind,src=" + dir + ",dst=/data,readonly"}} {
		r := run(baseEnv, nil, append(append([]string{"run", "--rm"}, flag...), "busybox", "touch", "/data/x")...)
		if r.Code == 0 || !strings.Contains(r.Err, "Read-only file system") {
			t.Errorf("%v: write to a read-only bind: exit %d, stderr %q; want Read-only file system", flag, r.Code, r.Err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a file was written through a read-only bind")
	}
	out := ok(t, baseEnv, "run", "--rm", "--volume", dir+":/data:ro,noexec", "busybox", "sh", "-c", "grep ' /data ' /proc/mounts")
	if !strings.Contains(out, " ro,") || !strings.Contains(out, "noexec") {
		t.Errorf("-v :ro,noexec gave %q", out)
	}
}

func TestVolumeBindFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "conf")
	os.WriteFile(f, []byte("key=value\n"), 0o644)
	out := ok(t, baseEnv, "run", "--rm", "--volume", f+":/etc/app.conf:ro", "busybox", "sh", "-c", "cat /etc/app.conf; test -f /etc/app.conf && echo file")
	if out != "key=value\nfile\n" {
		t.Errorf("file bind gave %q", out)
	}
}

func TestVolumeBindErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	wantError(t, rpod(t, "run", "--rm", "--volume", missing+":/data", "busybox", "true"), 125, missing+": no such file or directory")
	wantError(t, rpod(t, "run", "--rm", "--volume", "/tmp:data", "busybox", "true"), 125, "must be an absolute path")
	wantError(t, rpod(t, "run", "--rm", "--volume", "/tmp:/data:bogus", "busybox", "true"), 125, "invalid option")
	wantError(t, rpod(t, "run", "--rm", "--mount", "type=nfs,target=/x", "busybox", "true"), 125, "invalid mount type")
}

func TestVolumeChownU(t *testing.T) {
	dir := t.TempDir()
	// Files of subordinate ids are removed from inside the namespace.
	defer run(baseEnv, nil, "unshare", "rm", "-rf", filepath.Join(dir, "mine"))
	// The container's uid 1000 is a subordinate id on the host (subuid 100000:65536).
	ok(t, baseEnv, "run", "--rm", "--user", "1000:1000", "--volume", dir+":/data:U", "busybox", "touch", "/data/mine")
	st, err := os.Stat(filepath.Join(dir, "mine"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; int(uid) == os.Getuid() || uid == 0 {
		t.Errorf("file written by uid 1000 in a U volume is owned by host uid %d, want a subordinate id", uid)
	}
}

type volInspect struct {
	Name, Driver, Mountpoint string
	MountCount               int
}

func TestVolumeNamedLifecycle(t *testing.T) {
	env := baseEnv
	name := "rpodvol-life"
	run(env, nil, "volume", "rm", "-f", name)
	if out := ok(t, env, "volume", "create", name); out != name+"\n" {
		t.Errorf("volume create printed %q", out)
	}
	wantError(t, run(env, nil, "volume", "create", name), 125, "already exists")
	if out := ok(t, env, "volume", "ls", "-q"); !strings.Contains(out, name+"\n") {
		t.Errorf("volume ls -q = %q, want %s", out, name)
	}
	if out := ok(t, env, "volume", "ls"); !strings.HasPrefix(out, "DRIVER") || !strings.Contains(out, "VOLUME NAME") || !strings.Contains(out, "local       "+name) {
		t.Errorf("volume ls =\n%s", out)
	}
	if out := ok(t, env, "volume", "ls", "--format", "{{.Name}}={{.Driver}}"); !strings.Contains(out, name+"=local\n") {
		t.Errorf("volume ls --format = %q", out)
	}
	var vs []volInspect
	if err := json.Unmarshal([]byte(ok(t, env, "volume", "inspect", name)), &vs); err != nil || len(vs) != 1 {
		t.Fatalf("volume inspect: %v %v", vs, err)
	}
	data := getenv(env, "XDG_DATA_HOME")
	if want := filepath.Join(data, "rpod/storage/volumes", name, "_data"); vs[0].Mountpoint != want || vs[0].Driver != "local" {
		t.Errorf("inspect = %+v, want mountpoint %s", vs[0], want)
	}

	ok(t, env, "run", "--name", "rpodvol-writer", "--volume", name+":/data", "busybox", "sh", "-c", "echo persisted > /data/f")
	if out := ok(t, env, "run", "--rm", "--volume", name+":/data:ro", "busybox", "cat", "/data/f"); out != "persisted\n" {
		t.Errorf("the next container read %q, want persisted", out)
	}
	wantError(t, run(env, nil, "volume", "rm", name), 2, "is being used")
	ok(t, env, "volume", "prune", "-f")
	ok(t, env, "volume", "exists", name)
	ok(t, env, "volume", "rm", "-f", name)
	if r := run(env, nil, "container", "exists", "rpodvol-writer"); r.Code == 0 {
		t.Error("volume rm -f left the container that used the volume")
	}
	if r := run(env, nil, "volume", "exists", name); r.Code != 1 {
		t.Errorf("volume exists after rm: exit %d", r.Code)
	}
	wantError(t, run(env, nil, "volume", "rm", name), 1, "no such volume")
}

func TestVolumeCreatedOnFirstUseWithCopyUp(t *testing.T) {
	env := baseEnv
	name := "rpodvol-etc"
	run(env, nil, "volume", "rm", "-f", name)
	defer run(env, nil, "volume", "rm", "-f", name)
	want := ok(t, env, "run", "--rm", "busybox", "sh", "-c", "ls /etc; stat -c '%a %u %g %n' /etc /etc/passwd")
	got := ok(t, env, "run", "--rm", "--volume", name+":/etc", "busybox", "sh", "-c", "ls /etc; stat -c '%a %u %g %n' /etc /etc/passwd")
	if got != want {
		t.Errorf("a fresh volume on /etc shows\n%s\nwant the image's /etc\n%s", got, want)
	}
	// Copy-up is once: what a container removes stays removed.
	ok(t, env, "run", "--rm", "--volume", name+":/etc", "busybox", "rm", "/etc/group")
	if out := ok(t, env, "run", "--rm", "--volume", name+":/etc", "busybox", "ls", "/etc"); strings.Contains(out, "group") {
		t.Errorf("volume copied up again: %q", out)
	}
	if out := ok(t, env, "volume", "ls", "-q"); !strings.Contains(out, name+"\n") {
		t.Errorf("-v NAME:/dst did not create the volume: ls -q = %q", out)
	}
}

func TestVolumeTmpfsAndReadOnly(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--tmpfs", "/scratch:size=1m,mode=1770", "busybox", "sh", "-c", "grep ' /scratch ' /proc/mounts; stat -c %a /scratch")
	if !strings.Contains(out, "tmpfs /scratch tmpfs") || !strings.Contains(out, "noexec") || !strings.Contains(out, "size=1024k") || !strings.HasSuffix(out, "1770\n") {
		t.Errorf("--tmpfs mount:\n%s", out)
	}
	out = ok(t, baseEnv, "run", "--rm", "--mount", "type=tmpfs,dst=/t,tmpfs-size=2m", "busybox", "sh", "-c", "grep ' /t ' /proc/mounts")
	if !strings.Contains(out, "size=2048k") {
		t.Errorf("--mount type=tmpfs:\n%s", out)
	}
	r := run(baseEnv, nil, "run", "--rm", "--read-only", "busybox", "touch", "/newfile")
	if r.Code == 0 || !strings.Contains(r.Err, "Read-only file system") {
		t.Errorf("--read-only rootfs accepted a write: exit %d %q", r.Code, r.Err)
	}
	ok(t, baseEnv, "run", "--rm", "--read-only", "busybox", "sh", "-c", "touch /tmp/a /var/tmp/b /run/c")
	r = run(baseEnv, nil, "run", "--rm", "--read-only", "--read-only-tmpfs=false", "busybox", "touch", "/tmp/a")
	if r.Code == 0 {
		t.Error("--read-only-tmpfs=false still has a writable /tmp")
	}
}

func TestVolumeEnvFileAndLabels(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	os.WriteFile(envFile, []byte("# comment\n\nA=from-file\nB=b\nHOME_FROM_RPOD\n"), 0o644)
	labels := filepath.Join(dir, "labels")
	os.WriteFile(labels, []byte("team=storage\n# x\n"), 0o644)
	env := withEnv(baseEnv, "HOME_FROM_RPOD=copied")
	out := ok(t, env, "run", "--rm", "--env-file", envFile, "-e", "B=flag", "-l", "k=v", "--label-file", labels,
		"--annotation", "a=1", "busybox", "sh", "-c", "echo $A $B $HOME_FROM_RPOD")
	if out != "from-file flag copied\n" {
		t.Errorf("env = %q, want from-file flag copied", out)
	}
	wantError(t, run(env, nil, "run", "--rm", "--env-file", filepath.Join(dir, "missing"), "busybox", "true"), 125, "--env-file")
}

// TestVolumeShortFlag is podman's usual spelling: -v after the subcommand
// is the volume flag, not the global --version.
func TestVolumeShortFlag(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("short\n"), 0o644)
	if out := ok(t, baseEnv, "run", "--rm", "-v", dir+":/data", "busybox", "cat", "/data/f"); out != "short\n" {
		t.Errorf("-v bind read %q", out)
	}
}

// TestVolumeTargetSymlinkEscape: a mount target is resolved inside the
// container's root, so a link that climbs out of it is refused.
func TestVolumeTargetSymlinkEscape(t *testing.T) {
	name := "rpodvol-escape"
	run(baseEnv, nil, "volume", "rm", "-f", name)
	defer run(baseEnv, nil, "volume", "rm", "-f", name)
	ok(t, baseEnv, "run", "--rm", "--volume", name+":/data", "busybox", "sh", "-c", "ln -s ../../../../../../../.. /data/up && ln -s / /data/abs")
	host := t.TempDir()
	r := run(baseEnv, nil, "run", "--rm", "--volume", name+":/data", "--volume", host+":/data/up/tmp/rpod-escaped", "busybox", "true")
	wantError(t, r, 125, "leaves the container's root")
	// An absolute link is the container's own root.
	out := ok(t, baseEnv, "run", "--rm", "--volume", name+":/data", "--volume", host+":/data/abs/seen", "busybox", "sh", "-c", "test -d /seen && echo inside")
	if out != "inside\n" {
		t.Errorf("mount through an absolute link inside the root: %q", out)
	}
}

// TestVolumeDetached: a detached container's monitor mounts the same volumes.
func TestVolumeDetached(t *testing.T) {
	name := "rpodvol-detached"
	run(baseEnv, nil, "volume", "rm", "-f", name)
	defer run(baseEnv, nil, "volume", "rm", "-f", name)
	id := strings.TrimSpace(ok(t, baseEnv, "run", "-d", "--volume", name+":/data", "busybox", "sh", "-c", "echo detached > /data/f"))
	ok(t, baseEnv, "wait", id)
	ok(t, baseEnv, "rm", id)
	if out := ok(t, baseEnv, "run", "--rm", "--volume", name+":/data", "busybox", "cat", "/data/f"); out != "detached\n" {
		t.Errorf("read %q after a detached container wrote the volume", out)
	}
}

func TestVolumeAnonymousRemoval(t *testing.T) {
	env := newWorld(t)
	vols := func() string { return ok(t, env, "volume", "ls", "-q") }
	// --rm takes its anonymous volumes with it, in the foreground and detached.
	ok(t, env, "run", "--rm", "-v", "/data", "busybox", "true")
	if v := vols(); v != "" {
		t.Errorf("after run --rm: volumes %q", v)
	}
	ok(t, env, "run", "-d", "--rm", "--name", "gone", "-v", "/data", "busybox", "true")
	waitUntil(t, "the detached --rm container and its volume to go", func() bool {
		return run(env, nil, "container", "exists", "gone").Code == 1 && vols() == ""
	})
	// rm keeps them, rm -v removes them; a named volume stays either way.
	ok(t, env, "run", "--name", "a", "-v", "/data", "busybox", "true")
	ok(t, env, "rm", "a")
	if v := vols(); len(strings.Fields(v)) != 1 {
		t.Errorf("rm without -v: volumes %q, want the anonymous one kept", v)
	}
	kept := strings.TrimSpace(vols())
	ok(t, env, "run", "--name", "b", "-v", "/data", "-v", "named:/named", "busybox", "true")
	ok(t, env, "rm", "-v", "b")
	if v := strings.Fields(vols()); len(v) != 2 || !slices.Contains(v, kept) || !slices.Contains(v, "named") {
		t.Errorf("after rm -v: volumes %q, want %s and named", v, kept)
	}
}
