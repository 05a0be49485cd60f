package hostbreak

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rpod/rpod/internal/fixture"
)

// diskFullImageSize is the random data per layer of the image that cannot
// fit: two layers, more than the store's tmpfs holds.
const diskFullImageSize = 12 << 20

// TestDiskFull puts the test user's graphroot on a small tmpfs (mounted by
// root, owned by the user), fills it during a pull and during a container's
// write, and checks the errors are one line naming ENOSPC and the fix, then
// that after space is freed the store is consistent and works: images and
// ps list what they did, a pull works again, the other container's data is intact.
func TestDiskFull(t *testing.T) {
	w := newWorld(t)
	small := filepath.Join(w.dir, "small")
	if err := os.Mkdir(small, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", small, "tmpfs", 0, fmt.Sprintf("size=16m,mode=0700,uid=%d,gid=%d", uid, gid)); err != nil {
		t.Skipf("mount a tmpfs: %v", err)
	}
	// The user's namespace holds no mount of its own below small: a lazy
	// unmount from the host's namespace is enough.
	t.Cleanup(func() {
		w.rpod("rm", "-af")
		w.rpod("system", "migrate")
		if err := syscall.Unmount(small, syscall.MNT_DETACH); err != nil {
			t.Errorf("UNMOUNT %s BY HAND: %v", small, err)
		}
	})

	// A registry with busybox and an image too big for the store.
	reg, err := fixture.StartRegistry(filepath.Join(w.dir, "registry"))
	if err != nil {
		t.Skipf("registry: %v", err)
	}
	t.Cleanup(func() { reg.Stop() })
	for name, build := range map[string]func(string) error{
		"busybox": fixture.BuildBusybox,
		"big": func(dir string) error {
			return fixture.BuildRandom(dir, rand.New(rand.NewSource(10)), 2, diskFullImageSize)
		},
	} {
		dir := filepath.Join(w.dir, "images", name)
		if err := build(dir); err != nil {
			t.Fatal(err)
		}
		if err := fixture.Push(context.Background(), dir, reg.Addr+"/"+name+":latest"); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(w.dir, "registries.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("unqualified-search-registries = [%q]\n\n[[registry]]\nlocation = %q\ninsecure = true\n", reg.Addr, reg.Addr)), 0o644)
	env := []string{"CONTAINERS_REGISTRIES_CONF=" + conf}
	graph := filepath.Join(small, "graph")
	rpod := func(args ...string) result {
		return w.rpodEnv(env, append([]string{"--root", graph}, args...)...)
	}
	ok := func(args ...string) string {
		t.Helper()
		r := rpod(args...)
		if r.Code != 0 {
			t.Fatalf("rpod %s: exit %d\n%s%s", strings.Join(args, " "), r.Code, r.Out, r.Err)
		}
		return r.Out
	}
	// enospc checks a failure is rpod's one line naming ENOSPC, the store and the fix.
	enospc := func(what string, r result) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(r.Err), "\n")
		last := lines[len(lines)-1]
		t.Logf("%s: exit %d: %s", what, r.Code, r.Err)
		if r.Code != 125 || !strings.Contains(last, "no space left on device") || !strings.Contains(last, "free space") || !strings.Contains(last, graph) {
			t.Errorf("%s: exit %d, want 125 and an Error naming ENOSPC, the store %s and the fix:\n%s", what, r.Code, graph, r.Err)
		}
		if strings.Count(r.Err, "Error: ") != 1 {
			t.Errorf("%s: want one Error line:\n%s", what, r.Err)
		}
		// containers/storage may log a failed cleanup (logrus, level=error) before it.
		if len(lines) != 1 {
			t.Logf("%s: %d library log lines before the Error line", what, len(lines)-1)
		}
	}
	df := func() string {
		var st syscall.Statfs_t
		syscall.Statfs(small, &st)
		return fmt.Sprintf("%d KiB free of %d", st.Bavail*uint64(st.Bsize)/1024, st.Blocks*uint64(st.Bsize)/1024)
	}

	ok("pull", "-q", "busybox")
	t.Logf("driver %s; after busybox: %s", strings.TrimSpace(ok("info", "--format", "{{.Store.GraphDriverName}}")), df())
	ok("run", "-d", "--name", "keeper", "busybox", "sh", "-c", "echo kept > /kept; exec sleep 600")

	// 1. A pull that cannot fit.
	enospc("pull into a full store", rpod("pull", "-q", "big"))
	t.Logf("after the failed pull: %s", df())
	if out := ok("images", "--format", "{{.Repository}}"); strings.Contains(out, "big") {
		t.Errorf("a half-pulled image is listed:\n%s", out)
	}

	// 2. A container's write fills the rest: the container's own error, not rpod's.
	r := rpod("run", "--name", "filler", "busybox", "sh", "-c", "dd if=/dev/zero of=/fill bs=1M count=64")
	t.Logf("container write: exit %d: %s", r.Code, strings.TrimSpace(r.Err))
	if r.Code != 1 || !strings.Contains(r.Err, "No space left on device") {
		t.Errorf("dd in a container on a full store: exit %d, want dd's own ENOSPC (1):\n%s", r.Code, r.Err)
	}
	t.Logf("after the container's write: %s", df())

	// 3. With the store full, commands that write it fail in one line.
	for _, args := range [][]string{
		{"run", "--rm", "busybox", "true"},
		{"commit", "filler", "filled"},
	} {
		r := rpod(args...)
		if r.Code == 0 {
			t.Logf("%s succeeded on a full store", args[0])
			continue
		}
		enospc(strings.Join(args, " ")+" on a full store", r)
	}
	// Reading works all along.
	ok("ps", "-a")
	ok("images")

	// Removing a container needs a little space too (containers/storage
	// rewrites its layer list through a temporary file): at 0 bytes free it
	// fails in one line and changes nothing.
	if r := rpod("rm", "filler"); r.Code != 0 {
		enospc("rm on a full store", r)
		if out := ok("ps", "-a", "--format", "{{.Names}}"); !strings.Contains(out, "filler") {
			t.Errorf("a failed rm lost the container from ps -a:\n%s", out)
		}
	}

	// 4. Free space on the filesystem (grow it), remove the filler; everything works again.
	if err := syscall.Mount("tmpfs", small, "tmpfs", syscall.MS_REMOUNT, "size=96m"); err != nil {
		t.Fatalf("grow the tmpfs: %v", err)
	}
	rpod("rm", "filler")
	if out := ok("ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "filler") {
		t.Errorf("rm after freeing space left filler:\n%s", out)
	}
	t.Logf("freed: %s", df())
	ok("pull", "-q", "big")
	if out := ok("run", "--rm", "big", "sh", "-c", "wc -c < /data/random-1; wc -c < /data/random-2"); out != fmt.Sprintf("%d\n%d\n", diskFullImageSize, diskFullImageSize) {
		t.Errorf("the image pulled after freeing space: %q", out)
	}
	if out := ok("exec", "keeper", "cat", "/kept"); out != "kept\n" {
		t.Errorf("the other container's data: %q", out)
	}
	if ps := ok("ps", "-a", "--format", "{{.Names}}"); ps != "keeper\n" {
		t.Errorf("ps -a after freeing space: %q, want keeper alone", ps)
	}
	if st := ok("inspect", "--format", "{{.State.Status}}", "keeper"); st != "running\n" {
		t.Errorf("keeper after the disk was full: %q", st)
	}
	imgs := ok("images", "--format", "{{.Repository}}")
	for _, want := range []string{"busybox", "big"} {
		if !strings.Contains(imgs, want) {
			t.Errorf("images lacks %s:\n%s", want, imgs)
		}
	}
	// No overlay or fuse mount is left from the failed commands but keeper's.
	if out, _ := exec.Command("grep", "-c", graph, "/proc/self/mountinfo").Output(); len(out) > 0 {
		t.Logf("mounts under the store seen from the host: %s", strings.TrimSpace(string(out)))
	}
	ok("rm", "-f", "keeper")
	ok("rmi", "-a")
}
