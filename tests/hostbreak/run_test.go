package hostbreak

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importBusybox gives w an image "bb" made of the host's static busybox,
// imported from a tarball: these tests need no registry.
func (w world) importBusybox(t *testing.T) {
	t.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("busybox-static: %v", err)
	}
	p := filepath.Join(w.dir, "bb.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	for _, l := range []string{"true", "sh"} {
		tw.WriteHeader(&tar.Header{Name: "bin/" + l, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777})
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.Chown(p, uid, gid)
	if r := w.rpod("import", "-q", p, "bb"); r.Code != 0 {
		t.Fatalf("import: exit %d: %s", r.Code, r.Err)
	}
}

// wantRunError runs `rpod run --rm bb true` with args before the image and
// wants exit 125 with one stderr line holding every part of want.
func (w world) wantRunError(t *testing.T, args []string, want ...string) {
	t.Helper()
	r := w.rpod(append(append([]string{"run", "--rm"}, args...), "bb", "true")...)
	lines := strings.Split(strings.TrimRight(r.Err, "\n"), "\n")
	if r.Code != 125 || len(lines) != 1 {
		t.Errorf("run %v: exit %d, stderr %q: want exit 125 and one line", args, r.Code, r.Err)
		return
	}
	for _, s := range want {
		if !strings.Contains(lines[0], s) {
			t.Errorf("run %v: %q lacks %q", args, lines[0], s)
		}
	}
}

// TestRunTunNotUsable: every network backend that needs /dev/net/tun says
// so with the tun check's fix; --network none still runs.
func TestRunTunNotUsable(t *testing.T) {
	w := newWorld(t)
	w.importBusybox(t)
	chmodUntilEnd(t, "/dev/net/tun", 0o600)
	modes := []string{"embedded"}
	for _, m := range []string{"slirp4netns", "pasta"} {
		if _, err := os.Stat("/usr/bin/" + m); err == nil {
			modes = append(modes, m)
		}
	}
	for _, m := range modes {
		w.wantRunError(t, []string{"--network", m}, "Error: network "+m+": /dev/net/tun: permission denied", "sudo chmod 0666 /dev/net/tun", "--network none", "(rpod system check: tun)")
	}
	if r := w.rpod("run", "--rm", "--network", "none", "bb", "true"); r.Code != 0 {
		t.Errorf("--network none: exit %d: %s", r.Code, r.Err)
	}
}

// TestRunFuseNotUsable: a store whose layers fuse-overlayfs mounts fails
// at container start, once /dev/fuse is closed, with the store-driver fix.
func TestRunFuseNotUsable(t *testing.T) {
	fo := "/usr/bin/fuse-overlayfs"
	if _, err := os.Stat(fo); err != nil {
		t.Skip("fuse-overlayfs not installed")
	}
	w := newWorld(t)
	graph := filepath.Join(w.dir, "data", "rpod", "storage")
	if err := os.MkdirAll(graph, 0o700); err != nil {
		t.Fatal(err)
	}
	rec := `{"driver":"overlay","options":["overlay.mount_program=` + fo + `"]}`
	if err := os.WriteFile(filepath.Join(graph, "rpod-driver.json"), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(w.dir, "data", "rpod"), graph, filepath.Join(graph, "rpod-driver.json")} {
		os.Chown(p, uid, gid)
	}
	w.importBusybox(t)
	chmodUntilEnd(t, "/dev/fuse", 0o600)
	w.wantRunError(t, []string{"--network", "none"}, "Error: mount rootfs: the store mounts layers with "+fo+", but /dev/fuse: permission denied", "sudo chmod 0666 /dev/fuse", "(rpod system check: store-driver)")
	if r := w.rpod("ps", "-aq"); r.Code != 0 || strings.TrimSpace(r.Out) != "" {
		t.Errorf("ps -aq after a failed run --rm: exit %d, %q: want no container left", r.Code, r.Out)
	}
}
