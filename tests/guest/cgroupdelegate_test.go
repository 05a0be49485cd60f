//go:build guest

package guest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rpod/rpod/cgroupdelegate"
)

// These tests drive package cgroupdelegate itself, not the rpod binary:
// they need cgroup v2 and a systemd user session that delegates cpu, memory
// and pids, and skip elsewhere. Some re-run the test binary as a helper
// process (the container's monitor, or one in a user namespace): with
// CGD_HELPER set, init runs the helper and exits before TestMain.

func init() {
	if mode := os.Getenv("CGD_HELPER"); mode != "" {
		os.Exit(cgRunHelper(mode))
	}
}

// cgTB is what the checks need of a test: *testing.T or a helper's cgT.
type cgTB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Log(args ...any)
	Cleanup(func())
}

// cgT is a helper process's cgTB: failures print and set the exit status.
type cgT struct {
	failed   bool
	cleanups []func()
}

func (c *cgT) Helper()          {}
func (c *cgT) Log(args ...any)  { fmt.Println(args...) }
func (c *cgT) Cleanup(f func()) { c.cleanups = append(c.cleanups, f) }
func (c *cgT) Errorf(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	c.failed = true
}
func (c *cgT) Fatal(args ...any)                 { c.Errorf("%s", fmt.Sprint(args...)); c.exit() }
func (c *cgT) Fatalf(format string, args ...any) { c.Errorf(format, args...); c.exit() }

func (c *cgT) exit() {
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
	if c.failed {
		os.Exit(1)
	}
	fmt.Println("CGD-HELPER-PASS")
	os.Exit(0)
}

func cgRunHelper(mode string) int {
	c := &cgT{}
	if mode == "alloc" {
		cgAlloc()
		return 0
	}
	cgHelperIn(c, mode)
	c.exit()
	return 0
}

// cgAlloc touches 64 MiB.
func cgAlloc() {
	b := make([]byte, 64<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	fmt.Println("allocated", len(b))
}

func cgSystemd(t *testing.T) cgroupdelegate.Host {
	t.Helper()
	h := cgroupdelegate.Detect()
	if h.Version != "v2" || h.Manager != cgroupdelegate.ManagerSystemd {
		t.Skipf("needs cgroup v2 and a systemd user session: %+v", h)
	}
	return h
}

func cgID(t cgTB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// cgStart starts a process that lives until the test ends.
func cgStart(t cgTB, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	return cmd
}

func cgOf(t cgTB, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "0::"); ok {
			return filepath.Join("/sys/fs/cgroup", rest)
		}
	}
	t.Fatalf("no cgroup v2 entry in %q", b)
	return ""
}

func cgWantFile(t cgTB, dir, file, want string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != want {
		t.Errorf("%s = %q, want %q", file, got, want)
	}
}

func cgWaitUntil(t cgTB, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func cgGone(dir string) func() bool {
	return func() bool { _, err := os.Stat(dir); return errors.Is(err, os.ErrNotExist) }
}

func TestCgroupDetect(t *testing.T) {
	h := cgSystemd(t)
	for _, c := range []string{"cpu", "memory", "pids"} {
		if !slices.Contains(h.Controllers, c) {
			t.Errorf("controller %s not delegated: %v", c, h.Controllers)
		}
	}
	if got, want := cgroupdelegate.HostUID(), os.Getuid(); got != want {
		t.Errorf("HostUID() = %d, want %d", got, want)
	}
}

func TestNotDelegatedCgroupCpuset(t *testing.T) {
	h := cgSystemd(t)
	if slices.Contains(h.Controllers, "cpuset") {
		t.Skip("cpuset is delegated here")
	}
	l := cgroupdelegate.Limits{CpusetCpus: "0"}
	err := h.Check(l)
	if err == nil || !strings.Contains(err.Error(), "--cpuset-cpus needs the cpuset controller") ||
		!strings.Contains(err.Error(), "Delegate=") || !errors.Is(err, cgroupdelegate.ErrUnavailable) {
		t.Fatalf("Check: %v", err)
	}
	mon := cgStart(t, exec.Command("sleep", "1000"))
	id := cgID(t)
	if g, err := cgroupdelegate.Create(cgroupdelegate.Options{ID: id, Limits: l}, mon.Process.Pid); err == nil {
		g.Remove()
		t.Fatal("Create with a cpuset limit succeeded")
	}
	if strings.Contains(cgOf(t, mon.Process.Pid), id) {
		t.Errorf("a failed Create moved the monitor to %s", cgOf(t, mon.Process.Pid))
	}
}

// TestCgroupNoConmon: the scope starts with the container's first process.
func TestCgroupNoConmon(t *testing.T) {
	cgSystemd(t)
	g, err := cgroupdelegate.Create(cgroupdelegate.Options{ID: cgID(t), Mode: cgroupdelegate.ModeNoConmon,
		Limits: cgroupdelegate.Limits{PidsMax: 7}}, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	predicted := g.Leaf
	if _, err := os.Stat(g.Leaf); err == nil {
		t.Fatalf("leaf %s exists before Join", g.Leaf)
	}
	c := cgStart(t, exec.Command("sleep", "1000"))
	if err := g.Join(c.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := cgOf(t, c.Process.Pid); got != g.Leaf || got != predicted {
		t.Errorf("container in %s; leaf %s, predicted %s", got, g.Leaf, predicted)
	}
	cgWantFile(t, g.Leaf, "pids.max", "7")
	c.Process.Kill()
	cgWaitUntil(t, "systemd to remove the scope", cgGone(filepath.Dir(g.Leaf)))
	if err := g.Remove(); err != nil {
		t.Errorf("%v", err)
	}
}

// TestCgroupScope follows one container through --cgroups=enabled, with
// the helper process as its monitor: scope, limits in the files,
// CLONE_INTO_CGROUP and Join, stats, update, freeze, and the scope's
// removal once the monitor is gone.
func TestCgroupScope(t *testing.T) {
	cgSystemd(t)
	cgHelper(t, "scope")
}

// TestCgroupOOM: a process that outgrows --memory is OOM-killed and
// counted, and its monitor in the same scope survives it.
func TestCgroupOOM(t *testing.T) {
	cgSystemd(t)
	cgHelper(t, "oom")
}

// TestCgroupRestart: a container started again at once by a new monitor
// gets its scope although systemd may still be removing the last one.
func TestCgroupRestart(t *testing.T) {
	cgSystemd(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	id := cgID(t)
	var scope string
	for i := range 2 {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), "CGD_HELPER=restart", "CGD_ID="+id)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "CGD-HELPER-PASS") {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
		_, scope, _ = strings.Cut(strings.TrimSpace(string(out)), "SCOPE=")
		scope, _, _ = strings.Cut(scope, "\n")
	}
	cgWaitUntil(t, "systemd to remove "+scope, cgGone(scope))
}

// TestCgroupUserns: inside a user namespace where the caller is uid 0, as
// rpod's commands are, the session bus and the scope still work.
func TestCgroupUserns(t *testing.T) {
	cgSystemd(t)
	cgHelper(t, "userns", "unshare", "-r")
}

// TestCgroupDelegatedUnit: with no session bus, in a systemd unit with
// Delegate=yes, the cgroupfs fallback makes sub-cgroups of the unit's.
func TestCgroupDelegatedUnit(t *testing.T) {
	cgSystemd(t)
	run := "/run/user/" + strconv.Itoa(os.Getuid())
	cgHelper(t, "cgroupfs", "systemd-run", "--user", "--scope", "--quiet", "-p", "Delegate=yes",
		"env", "-u", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR="+run,
		"unshare", "-r", "-m", "sh", "-c", `mount -t tmpfs tmpfs "$XDG_RUNTIME_DIR" && exec "$0"`)
}

// cgHelper runs the test binary as helper mode in a process of
// its own, under wrapper if any, then waits for the scope it reports to go.
func cgHelper(t *testing.T, mode string, wrapper ...string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	if len(wrapper) > 0 {
		cmd = exec.Command(wrapper[0], append(wrapper[1:], exe)...)
	}
	cmd.Env = append(os.Environ(), "CGD_HELPER="+mode, "CGD_UID="+strconv.Itoa(os.Getuid()))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "CGD-HELPER-PASS") {
		t.Fatal("helper did not pass")
	}
	for _, l := range strings.Split(string(out), "\n") {
		if _, scope, ok := strings.Cut(l, "SCOPE="); ok {
			cgWaitUntil(t, "systemd to remove "+scope, cgGone(scope))
		}
	}
}

func cgHelperIn(t cgTB, mode string) {
	switch mode {
	case "scope", "oom", "restart":
	case "userns", "cgroupfs":
		cgHelperUserns(t, mode)
	default:
		t.Fatalf("unknown helper %s", mode)
	}
	// Started before Create, so outside the scope: Join asks systemd.
	early := cgStart(t, exec.Command("sleep", "1000"))
	id := cgID(t)
	if mode == "restart" {
		id = os.Getenv("CGD_ID")
	}
	ctrls := cgroupdelegate.Detect().Controllers
	l := cgroupdelegate.Limits{MemoryMax: 64 << 20, MemoryLow: 1 << 20, PidsMax: 50, CPUQuota: 20000, CPUPeriod: 100000, CPUWeight: 50}
	if mode == "oom" {
		l = cgroupdelegate.Limits{MemoryMax: 32 << 20, MemorySwapOff: true}
	}
	if mode == "scope" && slices.Contains(ctrls, "cpuset") && slices.Contains(ctrls, "io") {
		l.CpusetCpus, l.CpusetMems, l.IOWeight = "0", "0", 200
	}
	g, err := cgroupdelegate.Create(cgroupdelegate.Options{ID: id, Limits: l}, os.Getpid())
	if err != nil || g == nil {
		t.Fatalf("Create: %v, %v", g, err)
	}
	t.Log("leaf", g.Leaf)
	self := cgOf(t, os.Getpid())
	if mode == "cgroupfs" {
		if filepath.Base(g.Leaf) != "rpod-"+id || filepath.Base(self) != "supervisor" || filepath.Dir(self) != filepath.Dir(g.Leaf) {
			t.Fatalf("leaf %s, caller in %s", g.Leaf, self)
		}
	} else {
		scope := filepath.Dir(g.Leaf)
		if filepath.Base(scope) != "rpod-"+id+".scope" || filepath.Base(g.Leaf) != "container" || self != filepath.Join(scope, "supervisor") {
			t.Fatalf("leaf %s, caller in %s", g.Leaf, self)
		}
		fmt.Printf("SCOPE=%s\n", scope)
	}
	switch mode {
	case "oom":
		cgOOM(t, g)
		return
	case "restart":
		return // exit at once, leaving the leaf to systemd
	case "scope":
		for f, want := range map[string]string{"memory.max": "67108864", "memory.low": "1048576", "pids.max": "50",
			"cpu.max": "20000 100000", "cpu.weight": "50", "memory.oom.group": "1"} {
			cgWantFile(t, g.Leaf, f, want)
		}
		if l.IOWeight != 0 {
			cgWantFile(t, g.Leaf, "cpuset.cpus", "0")
			cgWantFile(t, g.Leaf, "cpuset.mems", "0")
			cgWantFile(t, g.Leaf, "io.weight", "default 200")
		}
	default:
		cgWantFile(t, g.Leaf, "pids.max", "50")
	}

	if err := g.Join(early.Process.Pid); err != nil {
		if mode == "cgroupfs" {
			t.Log("Join of a process outside the delegated cgroup:", err)
			early.Process.Kill()
		} else {
			t.Fatal(err)
		}
	} else if got := cgOf(t, early.Process.Pid); got != g.Leaf {
		t.Errorf("joined process in %s", got)
	}
	dir, err := g.Dir()
	if err != nil {
		t.Fatal(err)
	}
	busy := exec.Command("sh", "-c", "while :; do :; done")
	busy.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	cgStart(t, busy)
	dir.Close()
	if got := cgOf(t, busy.Process.Pid); got != g.Leaf {
		t.Errorf("CLONE_INTO_CGROUP child in %s", got)
	}
	sleeper := cgStart(t, exec.Command("sleep", "1000"))
	if err := g.Join(sleeper.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := cgOf(t, sleeper.Process.Pid); got != g.Leaf {
		t.Errorf("joined process in %s", got)
	}

	if mode == "scope" {
		cgWaitUntil(t, "cpu usage and throttling", func() bool {
			s, err := g.Stats()
			if err != nil {
				t.Fatal(err)
			}
			return s.CPUUsec > 0 && s.NrThrottled > 0
		})
		s, err := g.Stats()
		if err != nil || s.PIDs < 2 || s.MemoryLimit != 64<<20 || s.MemoryUsage == 0 {
			t.Errorf("Stats = %+v, %v", s, err)
		}
		if err := g.Set(cgroupdelegate.Limits{PidsMax: 60, CPUPeriod: 200000, MemoryMax: -1}); err != nil {
			t.Fatal(err)
		}
		cgWantFile(t, g.Leaf, "pids.max", "60")
		cgWantFile(t, g.Leaf, "cpu.max", "20000 200000")
		cgWantFile(t, g.Leaf, "memory.max", "max")
		if s, _ := cgroupdelegate.Open(g.Leaf).Stats(); s.MemoryLimit == 0 || s.MemoryLimit == 64<<20 {
			t.Errorf("MemoryLimit with memory.max max = %d, want the host's memory", s.MemoryLimit)
		}
		if err := g.Freeze(true); err != nil {
			t.Fatal(err)
		}
		cgWantFile(t, g.Leaf, "cgroup.freeze", "1")
		if err := cgroupdelegate.Open(g.Leaf).Freeze(false); err != nil {
			t.Fatal(err)
		}
	}

	early.Process.Kill()
	busy.Process.Kill()
	sleeper.Process.Kill()
	cgWaitUntil(t, "an empty leaf", func() bool { s, _ := g.Stats(); return s.PIDs == 0 })
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.Leaf); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leaf %s still there after Remove: %v", g.Leaf, err)
	}
	if err := g.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

// cgHelperUserns checks the helper runs as uid 0 in a user namespace and
// that Detect sees through it.
func cgHelperUserns(t cgTB, mode string) {
	if os.Getuid() != 0 {
		t.Fatalf("uid %d in the user namespace", os.Getuid())
	}
	if got, want := strconv.Itoa(cgroupdelegate.HostUID()), os.Getenv("CGD_UID"); got != want {
		t.Fatalf("HostUID() = %s, want %s", got, want)
	}
	h := cgroupdelegate.Detect()
	want := map[string]string{"userns": cgroupdelegate.ManagerSystemd, "cgroupfs": cgroupdelegate.ManagerCgroupfs}[mode]
	if h.Manager != want || !slices.Contains(h.Controllers, "pids") {
		t.Fatalf("Detect() = %+v, want manager %s with pids", h, want)
	}
}

// cgOOM runs a process that allocates 64 MiB in g (32 MiB, no swap).
func cgOOM(t cgTB, g *cgroupdelegate.Group) {
	cgWantFile(t, g.Leaf, "memory.swap.max", "0")
	dir, err := g.Dir()
	if err != nil {
		t.Fatal(err)
	}
	hog := exec.Command("/proc/self/exe")
	hog.Env = append(os.Environ(), "CGD_HELPER=alloc")
	hog.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	err = hog.Run()
	dir.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("allocating 64 MiB under a 32 MiB limit: %v", err)
	}
	if n := g.OOMKills(); n == 0 {
		t.Errorf("OOMKills() = 0 after an OOM kill")
	}
	// Still here: systemd did not stop the scope (and us, its monitor).
	time.Sleep(time.Second)
	if _, err := os.Stat(filepath.Dir(g.Leaf)); err != nil {
		t.Errorf("scope gone after the OOM kill: %v", err)
	}
	if err := g.Remove(); err != nil {
		t.Errorf("%v", err)
	}
}
