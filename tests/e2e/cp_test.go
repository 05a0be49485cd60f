package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Tests of cp, diff, commit and mount/unmount.

// cpContainer creates a stopped container named name whose command is script,
// and removes it when the test ends.
func cpContainer(t *testing.T, name, script string) {
	t.Helper()
	ok(t, baseEnv, "create", "--name", name, "busybox", "sh", "-c", script)
	t.Cleanup(func() { run(baseEnv, nil, "rm", "-f", name) })
}

// fileUID is the owner of fi on the host.
func fileUID(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }

func TestCpFileInAndOut(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.txt")
	writeFile(t, src, "hello from the host\n")
	cpContainer(t, "cp-file", "cat /tmp/hello.txt /tmp/renamed; stat -c '%u:%g' /tmp/hello.txt")
	ok(t, baseEnv, "cp", src, "cp-file:/tmp")
	ok(t, baseEnv, "cp", src, "cp-file:/tmp/renamed")
	out := ok(t, baseEnv, "start", "-a", "cp-file")
	if want := "hello from the host\nhello from the host\n0:0\n"; out != want {
		t.Errorf("container read %q, want %q", out, want)
	}
	// Out again, to a new name and into a directory.
	ok(t, baseEnv, "cp", "cp-file:/tmp/hello.txt", filepath.Join(dir, "back.txt"))
	outDir := filepath.Join(dir, "out")
	os.Mkdir(outDir, 0o755)
	ok(t, baseEnv, "cp", "cp-file:/etc/passwd", outDir)
	b, err := os.ReadFile(filepath.Join(dir, "back.txt"))
	if err != nil || string(b) != "hello from the host\n" {
		t.Errorf("copied back %q, %v", b, err)
	}
	fi, err := os.Stat(filepath.Join(outDir, "passwd"))
	if err != nil {
		t.Fatalf("cp out into a directory: %v", err)
	}
	if uid := fileUID(fi); uid != os.Getuid() {
		t.Errorf("copied-out file belongs to uid %d, want the user %d", uid, os.Getuid())
	}
}

func TestCpDirectoryBothWays(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "tree/sub"), 0o755)
	writeFile(t, filepath.Join(dir, "tree/a.txt"), "a\n")
	writeFile(t, filepath.Join(dir, "tree/sub/b.txt"), "b\n")
	cpContainer(t, "cp-dir", "cat /tmp/tree/a.txt /tmp/tree/sub/b.txt /new/sub/b.txt /tmp/a.txt")
	ok(t, baseEnv, "cp", filepath.Join(dir, "tree"), "cp-dir:/tmp")      // into an existing directory
	ok(t, baseEnv, "cp", filepath.Join(dir, "tree"), "cp-dir:/new")      // as a new directory
	ok(t, baseEnv, "cp", filepath.Join(dir, "tree")+"/.", "cp-dir:/tmp") // its contents
	if out := ok(t, baseEnv, "start", "-a", "cp-dir"); out != "a\nb\nb\na\n" {
		t.Errorf("container read %q", out)
	}
	back := filepath.Join(dir, "back")
	ok(t, baseEnv, "cp", "cp-dir:/tmp/tree", back)
	for _, f := range []string{"a.txt", "sub/b.txt"} {
		want, _ := os.ReadFile(filepath.Join(dir, "tree", f))
		got, err := os.ReadFile(filepath.Join(back, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s copied back: %q, %v; want %q", f, got, err, want)
		}
	}
}

func TestCpRunningContainer(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f"), "live\n")
	ok(t, baseEnv, "run", "-d", "--name", "cp-live", "busybox", "sleep", "300")
	t.Cleanup(func() { run(baseEnv, nil, "rm", "-f", "cp-live") })
	ok(t, baseEnv, "cp", filepath.Join(dir, "f"), "cp-live:/f")
	ok(t, baseEnv, "cp", "cp-live:/f", filepath.Join(dir, "g"))
	if b, _ := os.ReadFile(filepath.Join(dir, "g")); string(b) != "live\n" {
		t.Errorf("round trip through a running container: %q", b)
	}
}

func TestCpPathEscapingTheRoot(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "rpod-cp-escape-probe")
	writeFile(t, src, "inside\n")
	cpContainer(t, "cp-esc", "ln -s /../../../.. /escape; ln -s /etc /etclink; ln -s /nowhere/deeper /dangling")
	ok(t, baseEnv, "start", "-a", "cp-esc")
	ok(t, baseEnv, "cp", src, "cp-esc:/escape")
	ok(t, baseEnv, "cp", src, "cp-esc:/etclink")
	ok(t, baseEnv, "cp", src, "cp-esc:/escape/etc/renamed")
	if _, err := os.Stat("/etc/rpod-cp-escape-probe"); err == nil {
		t.Fatal("cp through a symlink wrote the host's /etc")
	}
	if _, err := os.Stat("/rpod-cp-escape-probe"); err == nil {
		t.Fatal("cp through a symlink wrote the host's /")
	}
	for _, p := range []string{"/rpod-cp-escape-probe", "/etc/rpod-cp-escape-probe", "/etc/renamed"} {
		r := run(baseEnv, nil, "cp", "cp-esc:"+p, "-")
		if r.Code != 0 || tarBody(t, r.Out) != "inside\n" {
			t.Errorf("%s in the container: exit %d %s", p, r.Code, r.Err)
		}
	}
	// The escaping symlinks read from inside as well.
	r := run(baseEnv, nil, "cp", "cp-esc:/escape/etc/passwd", "-")
	if r.Code != 0 || !strings.Contains(tarBody(t, r.Out), "root:") {
		t.Errorf("cp out through /escape: exit %d %s", r.Code, r.Err)
	}
	// A path that cannot be resolved inside the root is refused.
	wantError(t, run(baseEnv, nil, "cp", src, "cp-esc:/dangling"), 125, "dangling")
	wantError(t, run(baseEnv, nil, "cp", src, "cp-esc:/escape/nosuchdir/x"), 125, "nosuchdir")
}

func TestCpTarStreams(t *testing.T) {
	cpContainer(t, "cp-tar", "cat /tmp/in/one /tmp/two; stat -c %u /tmp/two /tmp/kept/two")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{{"in/", ""}, {"in/one", "1\n"}, {"two", "2\n"}} {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg, Uid: 1000, Gid: 1000}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		tw.WriteHeader(h)
		tw.Write([]byte(f.body))
	}
	tw.Close()
	if r := run(baseEnv, bytes.NewReader(buf.Bytes()), "cp", "-", "cp-tar:/tmp"); r.Code != 0 {
		t.Fatalf("cp - CONTAINER:DIR: exit %d: %s", r.Code, r.Err)
	}
	// --archive keeps the tar's owners; without it the files are root's.
	ok(t, baseEnv, "cp", t.TempDir(), "cp-tar:/tmp/kept")
	if r := run(baseEnv, bytes.NewReader(buf.Bytes()), "cp", "-a", "-", "cp-tar:/tmp/kept"); r.Code != 0 {
		t.Fatalf("cp -a - CONTAINER:DIR: exit %d: %s", r.Code, r.Err)
	}
	if out := ok(t, baseEnv, "start", "-a", "cp-tar"); out != "1\n2\n0\n1000\n" {
		t.Errorf("container read %q", out)
	}
	r := run(baseEnv, nil, "cp", "cp-tar:/tmp", "-")
	if r.Code != 0 {
		t.Fatalf("cp CONTAINER:DIR -: exit %d: %s", r.Code, r.Err)
	}
	names := map[string]bool{}
	tr := tar.NewReader(strings.NewReader(r.Out))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names[strings.TrimSuffix(h.Name, "/")] = true
	}
	for _, n := range []string{"tmp", "tmp/in/one", "tmp/two"} {
		if !names[n] {
			t.Errorf("tar of /tmp lacks %s: %v", n, names)
		}
	}
	wantError(t, run(baseEnv, strings.NewReader("not a tar"), "cp", "-", "cp-tar:/tmp/two"), 125, "not a directory")
}

func TestCpErrors(t *testing.T) {
	cpContainer(t, "cp-err", "true")
	file := filepath.Join(t.TempDir(), "f")
	writeFile(t, file, "x")
	wantError(t, run(baseEnv, nil, "cp", file, "cp-nosuch:/tmp"), 125, "cp-nosuch")
	wantError(t, run(baseEnv, nil, "cp", "cp-err:/no/such/file", file+".out"), 125, "/no/such/file")
	wantError(t, run(baseEnv, nil, "cp", file+".missing", "cp-err:/tmp"), 125, "missing")
	wantError(t, run(baseEnv, nil, "cp", file, file+"2"), 125, "CONTAINER:PATH")
}

func TestDiff(t *testing.T) {
	ok(t, baseEnv, "run", "--name", "diff-x", "busybox", "sh", "-c", "echo new > /added; echo changed >> /etc/passwd; rm /etc/group")
	t.Cleanup(func() { run(baseEnv, nil, "rm", "-f", "diff-x") })
	out := ok(t, baseEnv, "diff", "diff-x")
	lines := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		lines[l] = true
	}
	for _, want := range []string{"A /added", "C /etc", "C /etc/passwd", "D /etc/group"} {
		if !lines[want] {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	js := ok(t, baseEnv, "diff", "--format", "json", "diff-x")
	if !strings.Contains(js, `"added"`) || !strings.Contains(js, `"/added"`) {
		t.Errorf("diff --format json: %s", js)
	}
	wantError(t, run(baseEnv, nil, "diff", "diff-nosuch"), 125, "diff-nosuch")
}

func TestCommit(t *testing.T) {
	ok(t, baseEnv, "run", "--name", "commit-x", "busybox", "sh", "-c", "echo committed > /made; rm /etc/group")
	t.Cleanup(func() {
		run(baseEnv, nil, "rm", "-f", "commit-x")
		run(baseEnv, nil, "rmi", "-f", "localhost/committed:v1", "localhost/committed:v2")
	})
	id := strings.TrimSpace(ok(t, baseEnv, "commit", "-q", "-m", "a message", "-a", "me", "commit-x", "committed:v1"))
	if len(id) != 64 {
		t.Fatalf("commit printed %q, want an image id", id)
	}
	if out := ok(t, baseEnv, "run", "--rm", "committed:v1", "sh", "-c", "cat /made; test -e /etc/group || echo gone"); out != "committed\ngone\n" {
		t.Errorf("run of the committed image: %q", out)
	}
	if out := ok(t, baseEnv, "images", "--format", "{{.ID}}", "localhost/committed:v1"); !strings.HasPrefix(id, strings.TrimSpace(out)) {
		t.Errorf("images lists %q for the commit %s", out, id)
	}
	if out := ok(t, baseEnv, "history", "--format", "{{.Comment}}", "committed:v1"); !strings.HasPrefix(out, "a message\n") {
		t.Errorf("history of the commit: %q", out)
	}
	// The stored manifest and config are whole: the image copies out.
	archive := filepath.Join(t.TempDir(), "committed.tar")
	ok(t, baseEnv, "save", "-o", archive, "committed:v1")
	ok(t, baseEnv, "commit", "-q", "--change", "CMD cat /made", "-c", "ENV FROM_COMMIT=yes", "commit-x", "committed:v2")
	if out := ok(t, baseEnv, "run", "--rm", "committed:v2"); out != "committed\n" {
		t.Errorf("--change CMD: the image ran %q", out)
	}
	if out := ok(t, baseEnv, "run", "--rm", "committed:v2", "sh", "-c", "echo $FROM_COMMIT"); out != "yes\n" {
		t.Errorf("--change ENV: %q", out)
	}
	// The container stays removable and the images keep running without it.
	ok(t, baseEnv, "rm", "commit-x")
	if out := ok(t, baseEnv, "run", "--rm", "committed:v1", "cat", "/made"); out != "committed\n" {
		t.Errorf("committed image after rm of its container: %q", out)
	}
	wantError(t, run(baseEnv, nil, "commit", "commit-nosuch"), 125, "commit-nosuch")
}

func TestMountUnmount(t *testing.T) {
	cpContainer(t, "mount-x", "true")
	path := strings.TrimSpace(ok(t, baseEnv, "mount", "mount-x"))
	if !filepath.IsAbs(path) {
		t.Fatalf("mount printed %q, want a path", path)
	}
	if out := ok(t, baseEnv, "unshare", "cat", path+"/etc/passwd"); !strings.Contains(out, "root:") {
		t.Errorf("reading the mounted rootfs: %q", out)
	}
	if list := ok(t, baseEnv, "mount"); !strings.Contains(list, path) {
		t.Errorf("mount with no arguments lacks %s:\n%s", path, list)
	}
	ok(t, baseEnv, "umount", "mount-x")
	if list := ok(t, baseEnv, "mount"); strings.Contains(list, path) {
		t.Errorf("still listed after umount:\n%s", list)
	}
	wantError(t, run(baseEnv, nil, "mount", "mount-nosuch"), 125, "mount-nosuch")
}

// tarBody is the body of the only file of a tar stream.
func tarBody(t *testing.T, s string) string {
	t.Helper()
	tr := tar.NewReader(strings.NewReader(s))
	for {
		h, err := tr.Next()
		if err != nil {
			return ""
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}
