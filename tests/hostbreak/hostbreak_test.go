package hostbreak

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// withoutUser drops the test user's lines from a subordinate id file's text.
func withoutUser(text string) string {
	var keep []string
	for _, l := range strings.SplitAfter(text, "\n") {
		owner, _, _ := strings.Cut(strings.TrimSpace(l), ":")
		if owner != testUser.Username && owner != testUser.Uid {
			keep = append(keep, l)
		}
	}
	s := strings.Join(keep, "")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSubuidMissing(t *testing.T) {
	w := newWorld(t)
	replaceFile(t, "/etc/subuid", withoutUser(readFile(t, "/etc/subuid")))
	r, lines := w.check(t)
	if r.Code != 0 {
		t.Errorf("exit %d: missing ranges are a warning (single-ID mapping)", r.Code)
	}
	want(t, lines, "subuid", "warn", "no ranges for "+testUser.Username+" in /etc/subuid", "sudo usermod --add-subuids ")
	want(t, lines, "subuid", "warn", "", " "+testUser.Username+" && rpod system migrate")
	want(t, lines, "subgid", "ok", testUser.Username+": ", "")
}

func TestSubuidContainsOwnID(t *testing.T) {
	w := newWorld(t)
	line := fmt.Sprintf("%s:%d:10\n", testUser.Username, uid-5)
	replaceFile(t, "/etc/subuid", withoutUser(readFile(t, "/etc/subuid"))+line)
	r, lines := w.check(t)
	if r.Code != 1 {
		t.Errorf("exit %d, want 1: rpod refuses such a range", r.Code)
	}
	span := fmt.Sprintf("%d-%d", uid-5, uid+4)
	want(t, lines, "subuid", "fail", fmt.Sprintf("contains your own uid %d", uid), "sudo usermod --del-subuids "+span+" "+testUser.Username)
	// A command fails with the same check's words.
	u := w.rpod("unshare", "true")
	if u.Code != 125 || !strings.Contains(u.Err, fmt.Sprintf("contains your own id %d", uid)) || !strings.Contains(u.Err, "(rpod system check: subuid)") {
		t.Errorf("unshare: exit %d, stderr %q", u.Code, u.Err)
	}
}

func TestSubuidOverlapsAnotherUser(t *testing.T) {
	w := newWorld(t)
	orig := readFile(t, "/etc/subuid")
	if !strings.Contains(orig, testUser.Username+":100000:65536") {
		t.Skipf("%s's range is not 100000:65536", testUser.Username)
	}
	replaceFile(t, "/etc/subuid", orig+"hostbreak-other:150000:65536\n")
	r, lines := w.check(t)
	if r.Code != 0 {
		t.Errorf("exit %d: an overlap is a warning", r.Code)
	}
	want(t, lines, "subuid", "warn", "overlaps hostbreak-other's range 150000-215535", "sudo usermod --del-subuids 100000-165535 "+testUser.Username+" && sudo usermod --add-subuids 231072-296607")
}

func TestMaxUserNamespacesZero(t *testing.T) {
	w := newWorld(t)
	restore := setSysctl(t, "user.max_user_namespaces", "0")
	r, lines := w.check(t)
	u := w.rpod("unshare", "true")
	restore() // at once: other users of this host need user namespaces
	if r.Code != 1 {
		t.Errorf("exit %d, want 1", r.Code)
	}
	want(t, lines, "userns", "fail", "user.max_user_namespaces=0: unprivileged user namespaces are disabled",
		"echo 'user.max_user_namespaces=28633' | sudo tee /etc/sysctl.d/99-rpod-userns.conf && sudo sysctl -p /etc/sysctl.d/99-rpod-userns.conf")
	if u.Code != 125 || !strings.Contains(u.Err, "user.max_user_namespaces=28633") || !strings.Contains(u.Err, "(rpod system check: userns)") || strings.Count(u.Err, "Error: ") != 1 {
		t.Errorf("unshare: exit %d, stderr %q", u.Code, u.Err)
	}
}

func TestUnprivilegedUsernsCloneOff(t *testing.T) {
	w := newWorld(t)
	restore := setSysctl(t, "kernel.unprivileged_userns_clone", "0")
	r, lines := w.check(t)
	restore()
	if r.Code != 1 {
		t.Errorf("exit %d, want 1", r.Code)
	}
	want(t, lines, "userns", "fail", "kernel.unprivileged_userns_clone=0", "kernel.unprivileged_userns_clone=1")
}

func TestAppArmorRestrict(t *testing.T) {
	w := newWorld(t)
	restore := setSysctl(t, "kernel.apparmor_restrict_unprivileged_userns", "1")
	_, lines := w.check(t)
	restore()
	want(t, lines, "userns", "fail", "AppArmor denies", "rpod system check --apparmor-profile | sudo tee /etc/apparmor.d/rpod")
}

func TestUnprivilegedPortStart(t *testing.T) {
	w := newWorld(t)
	restore := setSysctl(t, "net.ipv4.ip_unprivileged_port_start", "2000")
	r, lines := w.check(t)
	restore()
	if r.Code != 0 {
		t.Errorf("exit %d: a raised port floor is a warning", r.Code)
	}
	want(t, lines, "unprivileged-ports", "warn", "net.ipv4.ip_unprivileged_port_start=2000: host ports below 2000 cannot be published",
		"echo 'net.ipv4.ip_unprivileged_port_start=1024' | sudo tee /etc/sysctl.d/99-rpod-ports.conf")
}

func TestPingGroupRange(t *testing.T) {
	w := newWorld(t)
	// Each setting is restored before the next, so the first value read is the one put back.
	restore := setSysctl(t, "net.ipv4.ping_group_range", "0 2147483647")
	_, lines := w.check(t)
	restore()
	want(t, lines, "ping", "ok", fmt.Sprintf("includes your gid %d", gid), "")
	restore = setSysctl(t, "net.ipv4.ping_group_range", "1 0")
	_, lines = w.check(t)
	restore()
	want(t, lines, "ping", "warn", fmt.Sprintf("net.ipv4.ping_group_range=1 0 excludes your gid %d", gid),
		"echo 'net.ipv4.ping_group_range=0 2147483647' | sudo tee /etc/sysctl.d/99-rpod-ping.conf")
}

func TestTunNotUsable(t *testing.T) {
	w := newWorld(t)
	restore := chmodUntilEnd(t, "/dev/net/tun", 0o600)
	r, lines := w.check(t)
	restore()
	if r.Code != 1 {
		t.Errorf("exit %d, want 1: containers get no network", r.Code)
	}
	want(t, lines, "tun", "fail", "/dev/net/tun: permission denied", "sudo chmod 0666 /dev/net/tun")
}

func TestFuseNotUsable(t *testing.T) {
	fo, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		t.Skip("fuse-overlayfs not installed")
	}
	w := newWorld(t)
	// A store that recorded fuse-overlayfs as its mount program...
	graph := filepath.Join(w.dir, "data", "rpod", "storage")
	if err := os.MkdirAll(graph, 0o700); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf(`{"driver":"overlay","options":["overlay.mount_program=%s"]}`, fo)
	if err := os.WriteFile(filepath.Join(graph, "rpod-driver.json"), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(w.dir, "data", "rpod"), graph, filepath.Join(graph, "rpod-driver.json")} {
		os.Chown(p, uid, gid)
	}
	// ...cannot mount once /dev/fuse is closed to users.
	restore := chmodUntilEnd(t, "/dev/fuse", 0o600)
	r, lines := w.check(t)
	restore()
	if r.Code != 1 {
		t.Errorf("exit %d, want 1", r.Code)
	}
	want(t, lines, "store-driver", "fail", "overlay with mount program "+fo+", but /dev/fuse: permission denied", "sudo chmod 0666 /dev/fuse")
	want(t, lines, "fuse", "ok", "/dev/fuse: permission denied (not needed: native overlay works)", "")
}

// TestHelpersWithFileCaps: newuidmap and newgidmap may carry file
// capabilities instead of the setuid bit (Fedora ships them so).
func TestHelpersWithFileCaps(t *testing.T) {
	if _, err := exec.LookPath("setcap"); err != nil {
		t.Skip("setcap not installed")
	}
	dir := filepath.Join(baseDir, "caps-bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for h, c := range map[string]string{"newuidmap": "cap_setuid+ep", "newgidmap": "cap_setgid+ep"} {
		src, err := exec.LookPath(h)
		if err != nil {
			t.Skipf("%s not installed", h)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("setcap", c, p).CombinedOutput(); err != nil {
			t.Skipf("setcap %s: %v %s", p, err, out)
		}
	}
	w := newWorld(t)
	path := "PATH=" + dir + ":/usr/bin:/bin"
	r := w.rpodEnv([]string{path}, "system", "check")
	if r.Code != 0 || !strings.Contains(r.Out, dir+"/newuidmap (file capabilities)") {
		t.Errorf("exit %d:\n%s", r.Code, r.Out)
	}
	if u := w.rpodEnv([]string{path}, "unshare", "cat", "/proc/self/uid_map"); u.Code != 0 || strings.Count(u.Out, "\n") < 2 {
		t.Errorf("unshare through the capable helpers: exit %d, %q %q", u.Code, u.Out, u.Err)
	}
}
