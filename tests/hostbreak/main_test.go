// Package hostbreak breaks the host one way at a time, as root, and checks
// that `rpod system check`, run as the unprivileged test user, names the
// problem and its fix; every change is undone in t.Cleanup, failed or not.
//
// It runs only as root (after the user suite): RPOD_BIN is the rpod to
// test, RPOD_TEST_USER the user (default rpodtest). As any other user every
// test skips, so the ordinary suite passes over it.
package hostbreak

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var (
	rpodBin  string
	testUser *user.User
	uid, gid int
	baseDir  string
)

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("hostbreak: skipped, these tests break the host as root (see tests/run.sh)")
		os.Exit(0)
	}
	name := os.Getenv("RPOD_TEST_USER")
	if name == "" {
		name = "rpodtest"
	}
	var err error
	if testUser, err = user.Lookup(name); err != nil {
		fmt.Fprintf(os.Stderr, "hostbreak: test user %s: %v\n", name, err)
		os.Exit(1)
	}
	uid, _ = strconv.Atoi(testUser.Uid)
	gid, _ = strconv.Atoi(testUser.Gid)
	if rpodBin = os.Getenv("RPOD_BIN"); rpodBin == "" {
		fmt.Fprintln(os.Stderr, "hostbreak: set RPOD_BIN to the rpod binary to test")
		os.Exit(1)
	}
	if baseDir, err = os.MkdirTemp("", "rpod-hostbreak-"); err != nil {
		fmt.Fprintln(os.Stderr, "hostbreak:", err)
		os.Exit(1)
	}
	os.Chmod(baseDir, 0o755)
	code := m.Run()
	os.RemoveAll(baseDir)
	os.Exit(code)
}

// world is a private HOME, runtime directory and store for the test user.
type world struct{ dir string }

func newWorld(t *testing.T) world {
	t.Helper()
	dir, err := os.MkdirTemp(baseDir, "world-")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"", "home", "run", "data", "config"} {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	w := world{dir}
	t.Cleanup(func() {
		w.rpod("system", "migrate")
		os.RemoveAll(dir) // root may remove the store's subordinate-owned files
	})
	return w
}

type result struct {
	Out, Err string
	Code     int
}

// rpod runs rpod as the test user in w, with extra K=V environment.
func (w world) rpodEnv(extra []string, args ...string) result {
	env := []string{
		"HOME=" + filepath.Join(w.dir, "home"),
		"XDG_RUNTIME_DIR=" + filepath.Join(w.dir, "run"),
		"XDG_DATA_HOME=" + filepath.Join(w.dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(w.dir, "config"),
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"LANG=C",
	}
	argv := append([]string{"-u", testUser.Username, "--", "env", "-i"}, append(append(env, extra...), append([]string{rpodBin}, args...)...)...)
	cmd := exec.Command("runuser", argv...)
	cmd.Dir = "/"
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{Out: out.String(), Err: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		r.Code, r.Err = -1, r.Err+err.Error()
	}
	return r
}

func (w world) rpod(args ...string) result { return w.rpodEnv(nil, args...) }

// checkLine is one check of the table, with the fixes under it.
type checkLine struct {
	Status, Found string
	Fix           []string
}

// check runs `rpod system check` in w and parses the table.
func (w world) check(t *testing.T) (result, map[string]*checkLine) {
	t.Helper()
	r := w.rpod("system", "check")
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("system check: exit %d\n%s\n%s", r.Code, r.Out, r.Err)
	}
	lines := strings.Split(strings.TrimRight(r.Out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "CHECK ") {
		t.Fatalf("no header:\n%s", r.Out)
	}
	sc, fc := strings.Index(lines[0], "STATUS"), strings.Index(lines[0], "FOUND")
	got := map[string]*checkLine{}
	var last *checkLine
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, " ") && strings.HasPrefix(strings.TrimSpace(l), "fix: ") && last != nil {
			last.Fix = append(last.Fix, strings.TrimPrefix(strings.TrimSpace(l), "fix: "))
			continue
		}
		if len(l) < fc {
			t.Fatalf("short line %q", l)
		}
		last = &checkLine{Status: strings.TrimSpace(l[sc:fc]), Found: l[fc:]}
		got[strings.TrimSpace(l[:sc])] = last
	}
	return r, got
}

// want asserts a check's status, and words in its found and fix texts.
func want(t *testing.T, lines map[string]*checkLine, name, status, found, fix string) {
	t.Helper()
	l := lines[name]
	if l == nil {
		t.Fatalf("no %s line", name)
	}
	fixes := strings.Join(l.Fix, "\n")
	if l.Status != status || !strings.Contains(l.Found, found) || !strings.Contains(fixes, fix) {
		t.Errorf("%s: %s %q fix %q; want %s with %q and a fix with %q", name, l.Status, l.Found, fixes, status, found, fix)
	}
}

// replaceFile writes content to path until the test ends, then restores it
// byte for byte with its mode.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(baseDir, filepath.Base(path)+".orig")
	if err := os.WriteFile(backup, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(path, orig, st.Mode().Perm()); err != nil {
			t.Errorf("RESTORE %s FROM %s BY HAND: %v", path, backup, err)
			return
		}
		os.Remove(backup)
	})
	if err := os.WriteFile(path, []byte(content), st.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// setSysctl sets a sysctl (dotted name) until restore or the test's end,
// whichever comes first; it skips the test when the knob does not exist.
func setSysctl(t *testing.T, name, value string) (restore func()) {
	t.Helper()
	p := "/proc/sys/" + strings.ReplaceAll(name, ".", "/")
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("%s: %v", name, err)
	}
	if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
		// A container's /proc/sys may be read-only even to root.
		t.Skipf("cannot set %s here: %v", name, err)
	}
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		if err := os.WriteFile(p, orig, 0o644); err != nil {
			t.Errorf("RESTORE sysctl %s=%q BY HAND: %v", name, strings.TrimSpace(string(orig)), err)
		}
	}
	t.Cleanup(restore)
	return restore
}

// chmodUntilEnd changes a file's mode until restore or the test's end.
func chmodUntilEnd(t *testing.T, path string, mode os.FileMode) (restore func()) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		if err := os.Chmod(path, st.Mode().Perm()); err != nil {
			t.Errorf("RESTORE mode %o of %s BY HAND: %v", st.Mode().Perm(), path, err)
		}
	}
	t.Cleanup(restore)
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return restore
}
