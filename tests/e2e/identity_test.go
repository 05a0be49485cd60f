package e2e

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// sharedDir is a host directory a container's user may write: t.TempDir is
// private to the test user, which only keep-id's container user is.
func sharedDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(d), 0o711); err != nil {
		t.Fatal(err)
	}
	return d
}

func fileOwner(t *testing.T, p string) (uid, gid int) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	s := st.Sys().(*syscall.Stat_t)
	return int(s.Uid), int(s.Gid)
}

func TestUsernsKeepID(t *testing.T) {
	uid, gid := os.Getuid(), os.Getgid()
	ids := fmt.Sprintf("%d\n%d\n", uid, gid)
	if out := ok(t, baseEnv, "run", "--rm", "--userns=keep-id", "busybox", "sh", "-c", "id -u; id -g"); out != ids {
		t.Errorf("--userns=keep-id id -u, id -g = %q, want %q", out, ids)
	}
	// The image's files keep their owners through the shifted layer.
	if out := ok(t, baseEnv, "run", "--rm", "--userns=keep-id", "busybox", "stat", "-c", "%u:%g", "/etc/passwd", "/bin"); out != "0:0\n0:0\n" {
		t.Errorf("image files under keep-id are owned by %q, want root", out)
	}
	dir := t.TempDir() // 0700 and the user's: only keep-id's user may write it
	ok(t, baseEnv, "run", "--rm", "--userns=keep-id", "-v", dir+":/data", "busybox", "sh", "-c", "echo hi > /data/f")
	if u, g := fileOwner(t, filepath.Join(dir, "f")); u != uid || g != gid {
		t.Errorf("file created under keep-id is owned by %d:%d on the host, want %d:%d", u, g, uid, gid)
	}
	// The image has no entry for the user: keep-id adds one, as podman does,
	// over the image's /etc/passwd rather than into the container's layer.
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	want := me.Username + "\n/\n3\n"
	if out := ok(t, baseEnv, "run", "--rm", "--userns=keep-id", "busybox", "sh", "-c", `id -un; echo "$HOME"; wc -l < /etc/passwd`); out != want {
		t.Errorf("keep-id passwd entry: got %q, want %q", out, want)
	}
	// :U gives the volume to the container's user through the container's map.
	owned := t.TempDir()
	os.Chmod(owned, 0o755)
	if out := ok(t, baseEnv, "run", "--rm", "--userns=keep-id", "-u", "0", "-v", owned+":/data:U", "busybox", "stat", "-c", "%u", "/data"); out != "0\n" {
		t.Errorf("keep-id -u 0 with :U: /data owned by %q inside, want 0", out)
	}
	defer ok(t, baseEnv, "unshare", "chown", "0:0", owned)
	// -u overrides keep-id's user, as with podman.
	if out := ok(t, baseEnv, "run", "--rm", "--userns=keep-id", "-u", "0", "busybox", "id", "-u"); out != "0\n" {
		t.Errorf("--userns=keep-id -u 0: id -u = %q", out)
	}
	// The default and an explicit host stay in rpod's namespace: the user is root inside.
	for _, flags := range [][]string{nil, {"--userns=host"}} {
		args := append(append([]string{"run", "--rm", "-v", dir + ":/data"}, flags...), "busybox", "stat", "-c", "%u", "/data")
		if out := ok(t, baseEnv, args...); out != "0\n" {
			t.Errorf("%v: the user's directory is owned by %q inside, want 0", flags, out)
		}
	}
}

func TestUsernsKeepIDOptions(t *testing.T) {
	dir := t.TempDir()
	out := ok(t, baseEnv, "run", "--rm", "--userns=keep-id:uid=1000,gid=1000", "-v", dir+":/data", "busybox",
		"sh", "-c", "id -u; id -g; stat -c %u:%g /data; echo x > /data/f")
	if out != "1000\n1000\n1000:1000\n" {
		t.Errorf("keep-id:uid=1000,gid=1000: got %q", out)
	}
	if u, _ := fileOwner(t, filepath.Join(dir, "f")); u != os.Getuid() {
		t.Errorf("file created as keep-id uid 1000 is owned by %d on the host, want %d", u, os.Getuid())
	}
	// In a multilayer image with USER app (1000) and a home owned by it.
	if out := ok(t, baseEnv, "run", "--rm", "--userns=keep-id:uid=1000,gid=1000", "multilayer", "sh", "-c", "id -un; stat -c %u /home/app"); out != "app\n1000\n" {
		t.Errorf("keep-id:uid=1000 in multilayer: %q", out)
	}
}

func TestUsernsNomap(t *testing.T) {
	dir := sharedDir(t)
	out := ok(t, baseEnv, "run", "--rm", "--userns=nomap", "-v", dir+":/data", "busybox",
		"sh", "-c", "id -u; stat -c %u /data; cat /proc/self/uid_map")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || lines[0] != "0" {
		t.Fatalf("--userns=nomap: %q", out)
	}
	// The user's own id (rpod's 0) has no name inside: the overflow id.
	if lines[1] != "65534" {
		t.Errorf("--userns=nomap: the user's directory is owned by %s inside, want 65534 (unmapped)", lines[1])
	}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("uid_map line %q", l)
		}
		start, _ := strconv.Atoi(f[1])
		if start == 0 {
			t.Errorf("--userns=nomap maps the user's uid: %q", l)
		}
	}
	// Root inside is a subordinate id: its files are not the user's.
	ok(t, baseEnv, "run", "--rm", "--userns=nomap", "-v", dir+":/data", "busybox", "touch", "/data/f")
	if u, _ := fileOwner(t, filepath.Join(dir, "f")); u == os.Getuid() {
		t.Errorf("a file created by root under nomap is owned by the user")
	}
	ok(t, baseEnv, "unshare", "rm", "-f", filepath.Join(dir, "f"))
}

func TestUsernsExecCpRm(t *testing.T) {
	env := newWorld(t)
	ok(t, env, "pull", "-q", "busybox")
	ok(t, env, "run", "-d", "--name", "kid", "--userns=keep-id", "--group-add", "tty", "busybox", "sleep", "1000")
	uid := strconv.Itoa(os.Getuid())
	if out := ok(t, env, "exec", "kid", "id", "-u"); out != uid+"\n" {
		t.Errorf("exec into keep-id container: id -u = %q, want %s", out, uid)
	}
	if me, err := user.Current(); err == nil {
		if out := ok(t, env, "exec", "kid", "whoami"); out != me.Username+"\n" {
			t.Errorf("exec into keep-id container: whoami = %q, want %s", out, me.Username)
		}
	}
	if out := ok(t, env, "exec", "-u", "0", "kid", "id", "-u"); out != "0\n" {
		t.Errorf("exec -u 0 into keep-id container: id -u = %q", out)
	}
	// The exec'd process is in the container's user namespace, not rpod's.
	if out := ok(t, env, "exec", "kid", "sh", "-c", "readlink /proc/self/ns/user; readlink /proc/1/ns/user"); len(strings.Fields(out)) != 2 || strings.Fields(out)[0] != strings.Fields(out)[1] {
		t.Errorf("exec is not in the container's user namespace: %q", out)
	}
	if out := ok(t, env, "exec", "kid", "id", "-G"); !hasField(out, "5") {
		t.Errorf("exec does not keep --group-add tty: id -G = %q", out)
	}
	src := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(src, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, env, "cp", src, "kid:/tmp/in.txt")
	if out := ok(t, env, "exec", "kid", "cat", "/tmp/in.txt"); out != "hello\n" {
		t.Errorf("cp into keep-id container: %q", out)
	}
	// Files copied in belong to the container's root, as in any container.
	if out := ok(t, env, "exec", "kid", "stat", "-c", "%u:%g", "/tmp/in.txt"); out != "0:0\n" {
		t.Errorf("cp into keep-id container: owner %q, want 0:0", out)
	}
	ok(t, env, "exec", "kid", "sh", "-c", "echo made > /tmp/out.txt")
	dst := filepath.Join(t.TempDir(), "out.txt")
	ok(t, env, "cp", "kid:/tmp/out.txt", dst)
	if b, err := os.ReadFile(dst); err != nil || string(b) != "made\n" {
		t.Errorf("cp out of keep-id container: %q %v", b, err)
	}
	// create records the maps; start uses them.
	ok(t, env, "create", "--name", "kc", "--userns=keep-id:uid=2000,gid=3000", "busybox", "sh", "-c", "id -u; id -g; stat -c %u /etc")
	if out := ok(t, env, "start", "-a", "kc"); out != "2000\n3000\n0\n" {
		t.Errorf("create --userns=keep-id:uid=2000,gid=3000, start -a: %q", out)
	}
	ok(t, env, "rm", "kc")
	ok(t, env, "rm", "-f", "kid")
	if out := ok(t, env, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("rm -f left containers: %q", out)
	}
	// The store is intact: the image still runs, shifted and not.
	ok(t, env, "run", "--rm", "busybox", "true")
	ok(t, env, "run", "--rm", "--userns=keep-id", "busybox", "true")

	// nomap: exec joins a namespace where the user has no id at all.
	ok(t, env, "run", "-d", "--name", "nm", "--userns=nomap", "busybox", "sleep", "1000")
	if out := ok(t, env, "exec", "nm", "sh", "-c", "id -u; stat -c %u /proc/1/ns"); out != "0\n0\n" {
		t.Errorf("exec into nomap container: %q", out)
	}
	ok(t, env, "rm", "-f", "nm")
	// rmi takes the image's ID-shifted copies with it.
	ok(t, env, "rmi", "busybox")
	if out := ok(t, env, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("rmi after keep-id containers left images: %q", out)
	}
}

func TestIdentityReadOnlyAndTTY(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--read-only", "--init", "--userns=keep-id", "busybox", "sh", "-c", "id -un; cat /proc/1/cmdline | tr '\\0' ' '")
	if !strings.Contains(out, "/run/rpod-init") {
		t.Errorf("--read-only --init --userns=keep-id: %q", out)
	}
	s := startTTY(t, 30, 100, "run", "--rm", "-t", "--init", "--userns=keep-id", "busybox", "sh", "-c", "tty; id -u")
	code := s.wait(t)
	tty := s.out.String()
	if code != 0 || !strings.Contains(tty, "/dev/pts/0") || !strings.Contains(tty, strconv.Itoa(os.Getuid())) {
		t.Errorf("-t --init --userns=keep-id: exit %d, terminal:\n%q", code, tty)
	}
}

// TestUsernsVfs checks the ID-shifted copy of the image layer on the vfs driver.
func TestUsernsVfs(t *testing.T) {
	env := newWorld(t, "STORAGE_DRIVER=vfs")
	ok(t, env, "pull", "-q", "busybox")
	out := ok(t, env, "run", "--rm", "--userns=keep-id", "busybox", "sh", "-c", "id -u; stat -c %u:%g /etc/passwd")
	if want := fmt.Sprintf("%d\n0:0\n", os.Getuid()); out != want {
		t.Errorf("keep-id on vfs: %q, want %q", out, want)
	}
	if out := ok(t, env, "run", "--rm", "--userns=nomap", "busybox", "stat", "-c", "%u:%g", "/etc/passwd"); out != "0:0\n" {
		t.Errorf("nomap on vfs: %q", out)
	}
}

func hasField(s, f string) bool {
	for _, x := range strings.Fields(s) {
		if x == f {
			return true
		}
	}
	return false
}

func TestGroupAdd(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--group-add", "tty", "--group-add", "1234", "busybox", "id", "-G")
	if !hasField(out, "5") || !hasField(out, "1234") {
		t.Errorf("--group-add tty --group-add 1234: id -G = %q", out)
	}
	out = ok(t, baseEnv, "run", "--rm", "--userns=keep-id", "--group-add", "nogroup", "busybox", "id", "-G")
	if !hasField(out, "65534") || !hasField(out, strconv.Itoa(os.Getgid())) {
		t.Errorf("keep-id --group-add nogroup: id -G = %q", out)
	}
	wantError(t, rpod(t, "run", "--rm", "--group-add", "nosuch", "busybox", "true"), 125, "unable to find group nosuch")
	wantError(t, rpod(t, "run", "--rm", "--group-add", "keep-groups", "busybox", "true"), 125, "keep-groups is not supported")
	wantError(t, rpod(t, "run", "--rm", "--group-add", "a:b", "busybox", "true"), 125, "invalid --group-add")
}

func TestInit(t *testing.T) {
	out := ok(t, baseEnv, "run", "--rm", "--init", "busybox", "ps", "-o", "pid,args")
	var pid1 string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "1" {
			pid1 = l
		}
	}
	if !strings.Contains(pid1, "/run/rpod-init") || !strings.Contains(out, "ps -o pid,args") {
		t.Errorf("--init: pid 1 is not the init in front of the command:\n%s", out)
	}
	// catatonit as pid 1 reaps an orphan; sleep as pid 1 (no --init) does not.
	zombies := func(name string) string {
		return ok(t, baseEnv, "exec", name, "sh", "-c", "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null; true")
	}
	orphan := `(sleep 0.1 &); exec sleep 1000`
	ok(t, baseEnv, "run", "-d", "--name", "noinit", "busybox", "sh", "-c", orphan)
	t.Cleanup(func() { rpod(t, "rm", "-f", "noinit") })
	waitUntil(t, "a zombie without --init", func() bool { return zombies("noinit") != "" })
	ok(t, baseEnv, "run", "-d", "--name", "withinit", "--init", "busybox", "sh", "-c", orphan)
	t.Cleanup(func() { rpod(t, "rm", "-f", "withinit") })
	waitUntil(t, "the orphan to exit", func() bool {
		for _, l := range strings.Split(ok(t, baseEnv, "exec", "withinit", "ps", "-o", "args"), "\n") {
			if strings.TrimSpace(l) == "sleep 0.1" {
				return false
			}
		}
		return true
	})
	if z := zombies("withinit"); z != "" {
		t.Errorf("--init left a zombie: %s", z)
	}
	// SIGTERM reaches the command through the init: no SIGKILL (137) after the timeout.
	ok(t, baseEnv, "stop", "-t", "60", "withinit")
	if out := ok(t, baseEnv, "inspect", "--format", "{{.State.ExitCode}}", "withinit"); strings.TrimSpace(out) == "137" {
		t.Errorf("rpod stop of an --init container needed SIGKILL (exit %s)", out)
	}
}

func TestIdentityErrors(t *testing.T) {
	wantError(t, rpod(t, "run", "--rm", "--init", "--init-path", "/nonexistent/init", "busybox", "true"), 125, "/nonexistent/init")
	plain := filepath.Join(t.TempDir(), "init")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantError(t, rpod(t, "run", "--rm", "--init", "--init-path", plain, "busybox", "true"), 125, "not an executable")
	os.Chmod(plain, 0o755)
	wantError(t, rpod(t, "run", "--rm", "--init", "--init-path", plain, "busybox", "true"), 125, "not an ELF executable")
	if _, err := os.Stat("/bin/ls"); err == nil {
		wantError(t, rpod(t, "run", "--rm", "--init", "--init-path", "/bin/ls", "busybox", "true"), 125, "dynamically linked")
	}
	for _, bad := range []string{"auto", "keep-id:uid=x", "keep-id:size=10", "private", "nomap:uid=1", "host:x"} {
		wantError(t, rpod(t, "run", "--rm", "--userns="+bad, "busybox", "true"), 125, "rpod takes host, keep-id[:uid=UID,gid=GID] or nomap")
	}
	wantError(t, rpod(t, "create", "--userns=auto", "busybox", "true"), 125, "invalid --userns")
}
