package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// checkNames are the lines of `rpod system check`, in order.
var checkNames = []string{
	"userns", "subuid", "subgid", "newuidmap", "newgidmap", "pause",
	"runtime-dir", "session-bus", "linger", "cgroups",
	"overlay", "fuse", "graphroot-fs", "store-driver", "disk-space",
	"tun", "net-helpers", "unprivileged-ports", "ping",
}

// checkLine is one parsed table line, with the fix lines under it.
type checkLine struct {
	Status, Found string
	Fix           []string
}

// parseCheckTable reads the table: a header, then "NAME STATUS FOUND" lines,
// each followed by its indented "fix: ..." lines.
func parseCheckTable(t *testing.T, out string) map[string]*checkLine {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "CHECK ") || !strings.Contains(lines[0], " STATUS ") || !strings.HasSuffix(lines[0], " FOUND") {
		t.Fatalf("no CHECK STATUS FOUND header:\n%s", out)
	}
	statusCol := strings.Index(lines[0], "STATUS")
	foundCol := strings.Index(lines[0], "FOUND")
	got := map[string]*checkLine{}
	var last *checkLine
	for _, l := range lines[1:] {
		if strings.HasPrefix(strings.TrimSpace(l), "fix: ") && strings.HasPrefix(l, " ") {
			if last == nil {
				t.Fatalf("fix line before any check:\n%s", out)
			}
			last.Fix = append(last.Fix, strings.TrimPrefix(strings.TrimSpace(l), "fix: "))
			continue
		}
		if len(l) < foundCol {
			t.Fatalf("short line %q in:\n%s", l, out)
		}
		name := strings.TrimSpace(l[:statusCol])
		last = &checkLine{Status: strings.TrimSpace(l[statusCol:foundCol]), Found: l[foundCol:]}
		got[name] = last
	}
	return got
}

// systemCheck runs `rpod system check` in env and parses its table.
func systemCheck(t *testing.T, env []string, args ...string) (result, map[string]*checkLine) {
	t.Helper()
	r := run(env, nil, append([]string{"system", "check"}, args...)...)
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("system check: exit %d\nstdout: %s\nstderr: %s", r.Code, r.Out, r.Err)
	}
	return r, parseCheckTable(t, r.Out)
}

// wantCheck asserts one line's status and that its found and fix texts
// contain the given words.
func wantCheck(t *testing.T, lines map[string]*checkLine, name, status, found, fix string) {
	t.Helper()
	l := lines[name]
	if l == nil {
		t.Errorf("no %s line", name)
		return
	}
	if l.Status != status || !strings.Contains(l.Found, found) {
		t.Errorf("%s: %s %q, want %s with %q", name, l.Status, l.Found, status, found)
	}
	all := strings.Join(l.Fix, "\n")
	if status == "ok" && all != "" {
		t.Errorf("%s: ok with a fix %q", name, all)
	}
	if status != "ok" && (all == "" || !strings.Contains(all, fix)) {
		t.Errorf("%s: fix %q, want one with %q", name, all, fix)
	}
}

func TestSystemCheckHealthy(t *testing.T) {
	env := newWorld(t)
	r, lines := systemCheck(t, env)
	if r.Code != 0 {
		t.Errorf("exit %d on the test host, want 0:\n%s", r.Code, r.Out)
	}
	if r.Err != "" {
		t.Errorf("stderr: %s", r.Err)
	}
	for _, n := range checkNames {
		if lines[n] == nil {
			t.Errorf("no %s line in:\n%s", n, r.Out)
		} else if lines[n].Status == "fail" {
			t.Errorf("%s fails on the test host: %s", n, lines[n].Found)
		}
	}
	if len(lines) != len(checkNames) {
		t.Errorf("%d lines, want %d:\n%s", len(lines), len(checkNames), r.Out)
	}
	name, _ := currentUser(t)
	wantCheck(t, lines, "userns", "ok", "", "")
	wantCheck(t, lines, "subuid", "ok", name+": ", "")
	wantCheck(t, lines, "newuidmap", "ok", "setuid root", "")
	wantCheck(t, lines, "pause", "ok", "none running", "")
	wantCheck(t, lines, "runtime-dir", "ok", getenv(env, "XDG_RUNTIME_DIR"), "")
	wantCheck(t, lines, "overlay", "ok", "native overlay mounts in a user namespace", "")
	wantCheck(t, lines, "tun", "ok", "/dev/net/tun usable", "")
	wantCheck(t, lines, "store-driver", "ok", "no store yet", "")
	wantCheck(t, lines, "net-helpers", "ok", "optional", "")
	// The check neither joins nor creates the namespace...
	if ps := worldPauses(env); len(ps) != 0 {
		t.Errorf("system check started a pause process: %v", ps)
	}
	// ...and leaves nothing in the store but the store directory.
	graph := filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod", "storage")
	if ents, _ := os.ReadDir(graph); len(ents) != 0 {
		t.Errorf("probe left %d entries in %s", len(ents), graph)
	}

	// Once the store exists, its driver is compared with the probe.
	ok(t, env, "pull", "-q", "busybox")
	_, lines = systemCheck(t, env)
	wantCheck(t, lines, "store-driver", "ok", "overlay (native)", "")
	wantCheck(t, lines, "pause", "ok", "pid ", "")
}

func TestSystemCheckJSON(t *testing.T) {
	env := newWorld(t)
	r := run(env, nil, "system", "check", "--format", "json")
	if r.Code != 0 {
		t.Fatalf("exit %d: %s %s", r.Code, r.Out, r.Err)
	}
	var rs []struct {
		Name, Status, Found, Fix string
	}
	if err := json.Unmarshal([]byte(r.Out), &rs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.Out)
	}
	if len(rs) != len(checkNames) {
		t.Fatalf("%d results, want %d", len(rs), len(checkNames))
	}
	for i, x := range rs {
		if x.Name != checkNames[i] {
			t.Errorf("result %d is %q, want %q", i, x.Name, checkNames[i])
		}
		switch {
		case x.Status != "ok" && x.Status != "warn" && x.Status != "fail":
			t.Errorf("%s: status %q", x.Name, x.Status)
		case x.Found == "":
			t.Errorf("%s: empty found", x.Name)
		case x.Status != "ok" && x.Fix == "":
			t.Errorf("%s: %s without a fix", x.Name, x.Status)
		}
	}
	for _, want := range []string{`"name"`, `"status"`, `"found"`, `"fix"`} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	wantError(t, run(env, nil, "system", "check", "--format", "yaml"), 125, "--format")
}

func TestSystemCheckRuntimeDir(t *testing.T) {
	// system check only reads the fallback directory: it never creates it.
	mine := t.TempDir()
	if err := os.Chmod(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, xdg, found, fix string
	}{
		{"another user's", "/", "is owned by uid 0, not by you", "log in through a session"},
		{"missing", filepath.Join(mine, "nope"), "does not exist", "loginctl enable-linger"},
		{"wrong mode", mine, "has mode 0755, not 0700", "chmod 0700 " + mine},
		{"unset", "", "XDG_RUNTIME_DIR is not set", "export XDG_RUNTIME_DIR=/run/user/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newWorld(t)
			r, lines := systemCheck(t, withEnv(env, "XDG_RUNTIME_DIR="+tc.xdg))
			if r.Code != 0 {
				t.Errorf("exit %d: a runtime directory problem is a warning", r.Code)
			}
			wantCheck(t, lines, "runtime-dir", "warn", tc.found, tc.fix)
		})
	}
}

func TestSystemCheckSessionBus(t *testing.T) {
	env := newWorld(t, "DBUS_SESSION_BUS_ADDRESS=")
	_, lines := systemCheck(t, env)
	wantCheck(t, lines, "session-bus", "warn", "no cgroup limits", "dbus-user-session")

	// A listening socket at $XDG_RUNTIME_DIR/bus is a bus to the check.
	sock := filepath.Join(getenv(env, "XDG_RUNTIME_DIR"), "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, lines = systemCheck(t, env)
	wantCheck(t, lines, "session-bus", "ok", sock, "")

	_, lines = systemCheck(t, withEnv(env, "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus"))
	wantCheck(t, lines, "session-bus", "warn", "/nonexistent/bus unreachable", "dbus-user-session")
}

// nonSetuidHelpers copies newuidmap and newgidmap, without their setuid
// bit, into a directory for the front of $PATH.
func nonSetuidHelpers(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"newuidmap", "newgidmap"} {
		src, err := exec.LookPath(h)
		if err != nil {
			t.Skipf("%s not installed", h)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, h), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSystemCheckHelperNotSetuid(t *testing.T) {
	dir := nonSetuidHelpers(t)
	env := newWorld(t, "PATH="+dir+":/usr/bin:/bin")
	r, lines := systemCheck(t, env)
	if r.Code != 1 {
		t.Errorf("exit %d, want 1: rpod cannot map its subordinate ids", r.Code)
	}
	for _, h := range []string{"newuidmap", "newgidmap"} {
		p := filepath.Join(dir, h)
		wantCheck(t, lines, h, "fail", p+" is not setuid root and has no file capabilities", "sudo chown root:root "+p+" && sudo chmod u+s "+p)
	}
	// The table puts the fix right under the failing line.
	ls := strings.Split(r.Out, "\n")
	for i, l := range ls {
		if strings.HasPrefix(l, "newuidmap ") && (i+1 == len(ls) || !strings.HasPrefix(strings.TrimLeft(ls[i+1], " "), "fix: ")) {
			t.Errorf("no fix line under newuidmap:\n%s", r.Out)
		}
	}
}

// TestRunNamesTheCheck: a command that fails on a broken setup says which
// check fails and its fix, not the helper's errno.
func TestRunNamesTheCheck(t *testing.T) {
	t.Run("helper not setuid", func(t *testing.T) {
		dir := nonSetuidHelpers(t)
		env := newWorld(t, "PATH="+dir+":/usr/bin:/bin")
		r := run(env, nil, "run", "--rm", "busybox", "true")
		p := filepath.Join(dir, "newuidmap")
		wantError(t, r, 125, p+" is not setuid root and has no file capabilities: ")
		wantError(t, r, 125, "sudo chmod u+s "+p)
		wantError(t, r, 125, "(rpod system check: newuidmap)")
	})
	t.Run("ranges not granted", func(t *testing.T) {
		name, _ := currentUser(t)
		file := filepath.Join(t.TempDir(), "subuid")
		writeFile(t, file, name+":3000000000:65536\n")
		env := newWorld(t, "RPOD_SUBUID_FILE="+file)
		r := run(env, nil, "run", "--rm", "busybox", "true")
		wantError(t, r, 125, fmt.Sprintf("uids 3000000000-3000065535 are not granted to %s in /etc/subuid, so newuidmap refused them", name))
		wantError(t, r, 125, "sudo usermod --add-subuids ")
		wantError(t, r, 125, "(rpod system check: subuid)")
		if strings.Contains(r.Err, "write to uid_map failed") {
			t.Errorf("the helper's errno leaks: %s", r.Err)
		}
	})
}

func TestSystemCheckStalePause(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "subuid")
	writeFile(t, empty, "")
	env := newWorld(t)
	// A pause process started while the user had no ranges...
	if r := run(withEnv(env, "RPOD_SUBUID_FILE="+empty), nil, "unshare", "true"); r.Code != 0 {
		t.Fatalf("unshare: %d %s", r.Code, r.Err)
	}
	// ...is stale once they are back.
	r, lines := systemCheck(t, env)
	if r.Code != 0 {
		t.Errorf("exit %d: a stale pause process is a warning", r.Code)
	}
	wantCheck(t, lines, "pause", "warn", "it was started before they changed", "rpod system migrate")
	ok(t, env, "system", "migrate")
	_, lines = systemCheck(t, env)
	wantCheck(t, lines, "pause", "ok", "none running", "")
}

func TestSystemCheckSubuidMissing(t *testing.T) {
	name, _ := currentUser(t)
	file := filepath.Join(t.TempDir(), "subuid")
	writeFile(t, file, "someoneelse:100000:65536\n")
	env := newWorld(t, "RPOD_SUBUID_FILE="+file)
	r, lines := systemCheck(t, env)
	if r.Code != 0 {
		t.Errorf("exit %d: no ranges is a warning (single-ID mapping)", r.Code)
	}
	wantCheck(t, lines, "subuid", "warn", "no ranges for "+name+" in "+file, "sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 "+name)
}

func TestSystemCheckGraphrootFS(t *testing.T) {
	// An unprivileged user can mount only FUSE filesystems: a
	// fuse-overlayfs mount through the setuid fusermount3 is one.
	fo, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		t.Skip("fuse-overlayfs not installed")
	}
	if _, err := exec.LookPath("fusermount3"); err != nil {
		t.Skip("fusermount3 not installed")
	}
	dir := t.TempDir()
	for _, d := range []string{"lower", "upper", "work", "mnt"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	mnt := filepath.Join(dir, "mnt")
	opts := fmt.Sprintf("lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", dir, dir, dir)
	if out, err := exec.Command(fo, "-o", opts, mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount fuse-overlayfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("fusermount3", "-u", "-z", mnt).Run() })
	env := newWorld(t)
	root := filepath.Join(mnt, "store")
	r, lines := systemCheck(t, env, "--root", root)
	if r.Code != 1 {
		t.Errorf("exit %d, want 1 with the store on FUSE", r.Code)
	}
	wantCheck(t, lines, "graphroot-fs", "fail", root+" on fuse: a FUSE filesystem", `graphroot = "/var/tmp/`)
	if !strings.Contains(strings.Join(lines["graphroot-fs"].Fix, " "), "~/.config/containers/storage.conf") {
		t.Errorf("fix does not write storage.conf: %v", lines["graphroot-fs"].Fix)
	}
	exec.Command("fusermount3", "-u", mnt).Run()
}

func TestSystemCheckAppArmorProfile(t *testing.T) {
	out := ok(t, baseEnv, "system", "check", "--apparmor-profile")
	exe, _ := filepath.EvalSymlinks(rpodBin)
	exe, _ = filepath.Abs(exe)
	for _, want := range []string{"profile rpod " + exe + " flags=(unconfined) {", "  userns,", "abi <abi/4.0>,"} {
		if !strings.Contains(out, want) {
			t.Errorf("profile lacks %q:\n%s", want, out)
		}
	}
}

func TestSystemCheckOutsideUnshare(t *testing.T) {
	env := newWorld(t)
	r := run(env, nil, "unshare", rpodBin, "system", "check")
	wantError(t, r, 125, "must run outside rpod unshare")
}

// TestInfoSecurity: rpod info's host.security, podman's fields plus the
// user's subordinate ranges.
func TestInfoSecurity(t *testing.T) {
	out := ok(t, baseEnv, "info", "--format", "json")
	var in struct {
		Host struct {
			Security map[string]any `json:"security"`
		} `json:"host"`
	}
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatal(err)
	}
	s := in.Host.Security
	if _, ok := s["seccompProfilePath"]; !ok {
		t.Skip("rpod info has no host.security.seccompProfilePath yet (info.go must call securityInfo)")
	}
	for _, k := range []string{"apparmorEnabled", "capabilities", "rootless", "seccompEnabled", "selinuxEnabled", "usernsRanges"} {
		if _, ok := s[k]; !ok {
			t.Errorf("host.security lacks %s: %v", k, s)
		}
	}
	if s["rootless"] != true || !strings.Contains(fmt.Sprint(s["capabilities"]), "CAP_CHOWN") {
		t.Errorf("host.security = %v", s)
	}
	ranges, _ := s["usernsRanges"].(map[string]any)
	if uids, _ := ranges["uid"].([]any); len(uids) == 0 {
		t.Errorf("no uid ranges in %v", ranges)
	}
	yaml := ok(t, baseEnv, "info")
	if !strings.Contains(yaml, "\n  security:\n    apparmorEnabled: ") {
		t.Errorf("no host.security in the YAML:\n%s", yaml)
	}
}
