package stress

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rpod/rpod/internal/testworld"
)

// hangLimit is how long a command may take before the suite calls it hung
// (a stale lock): generous, for a loaded 2-core machine.
const hangLimit = 90 * time.Second

// run executes rpod in env with the hang limit.
func run(env []string, args ...string) testworld.Result {
	s := suite
	s.Timeout = hangLimit
	return s.Run(env, nil, args...)
}

// ctr is one line of `rpod ps -a --format json`.
type ctr struct {
	ID     string   `json:"Id"`
	Names  []string `json:"Names"`
	State  string   `json:"State"`
	Status string   `json:"Status"`
	Pid    int      `json:"Pid"`
}

func (c ctr) name() string {
	if len(c.Names) > 0 {
		return c.Names[0]
	}
	return c.ID
}

// img is one line of `rpod images --format json`.
type img struct {
	ID    string   `json:"Id"`
	Names []string `json:"Names"`
}

// containers lists every container; an error means ps itself failed.
func containers(env []string) (map[string]ctr, error) {
	r := run(env, "ps", "-a", "--no-trunc", "--format", "json")
	if r.Code != 0 {
		return nil, fmt.Errorf("rpod ps -a: exit %d: %s", r.Code, r.Err)
	}
	var cs []ctr
	if err := json.Unmarshal([]byte(r.Out), &cs); err != nil {
		return nil, fmt.Errorf("rpod ps -a: %v: %q", err, r.Out)
	}
	out := map[string]ctr{}
	for _, c := range cs {
		out[c.name()] = c
	}
	return out, nil
}

// images lists every image by each of its names (untagged ones by id).
func images(env []string) (map[string]img, error) {
	r := run(env, "images", "-a", "--format", "json")
	if r.Code != 0 {
		return nil, fmt.Errorf("rpod images: exit %d: %s", r.Code, r.Err)
	}
	var is []img
	if err := json.Unmarshal([]byte(r.Out), &is); err != nil {
		return nil, fmt.Errorf("rpod images: %v: %q", err, r.Out)
	}
	out := map[string]img{}
	for _, i := range is {
		if len(i.Names) == 0 {
			out[i.ID] = i
		}
		for _, n := range i.Names {
			out[n] = i
		}
	}
	return out, nil
}

// pausePID is the world's pause process, or 0.
func pausePID(env []string) int {
	b, err := os.ReadFile(filepath.Join(testworld.Getenv(env, "XDG_RUNTIME_DIR"), "rpod", "pause.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.Fields(string(b) + " 0")[0])
	return pid
}

// overlayMounts are the container rootfs mounts in rpod's mount namespace
// (seen through the pause process): mount point -> fstype.
func overlayMounts(env []string) (map[string]string, error) {
	pid := pausePID(env)
	if pid == 0 {
		return nil, errors.New("no pause process")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		return nil, err
	}
	data := testworld.Getenv(env, "XDG_DATA_HOME")
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(l, " - ")
		if !ok {
			continue
		}
		f, pf := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(pf) < 1 {
			continue
		}
		if strings.HasPrefix(f[4], data) && strings.HasSuffix(f[4], "/merged") {
			out[f[4]] = pf[0]
		}
	}
	return out, nil
}

// listedMounts is `rpod mount`: container id -> rootfs path.
func listedMounts(env []string) (map[string]string, error) {
	r := run(env, "mount", "--no-trunc")
	if r.Code != 0 {
		return nil, fmt.Errorf("rpod mount: exit %d: %s", r.Code, r.Err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.Out), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			out[f[0]] = f[1]
		}
	}
	return out, nil
}

// checkMounts: `rpod mount` lists running containers only, and every
// rootfs mount in rpod's namespace is one `rpod mount` lists.
func checkMounts(env []string, cs map[string]ctr) []string {
	var bad []string
	listed, err := listedMounts(env)
	if err != nil {
		return []string{err.Error()}
	}
	byID := map[string]ctr{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	paths := map[string]bool{}
	for id, p := range listed {
		paths[p] = true
		if c, ok := byID[id]; !ok || c.State != "running" {
			bad = append(bad, fmt.Sprintf("rpod mount lists %s (%s), which is not a running container (%+v)", id[:12], p, c))
		}
	}
	mounts, err := overlayMounts(env)
	if err != nil {
		return append(bad, "mountinfo: "+err.Error())
	}
	for p, fs := range mounts {
		if !paths[p] {
			bad = append(bad, fmt.Sprintf("%s mount %s is left in rpod's namespace but no container has it mounted", fs, p))
		}
	}
	sort.Strings(bad)
	return bad
}

// monitorPID is the live monitor of container id, or 0.
func monitorPID(id string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) >= 2 && args[0] == "rpod-monitor" && args[len(args)-1] == id {
			return pid
		}
	}
	return 0
}

// worldProcs are the live rpod processes (monitors, pause, CLIs) of env's
// world, by pid -> argv[0] and arguments.
func worldProcs(env []string) map[int]string {
	want := "XDG_RUNTIME_DIR=" + testworld.Getenv(env, "XDG_RUNTIME_DIR")
	out := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		envb, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(envb, []byte(want+"\x00")) {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		out[pid] = strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
	}
	return out
}

// killer is what a chaos injection kills, and when.
type killer struct {
	delay time.Duration
	// target returns the pid to kill at that moment (0: nothing yet); nil kills rpod itself.
	target func() int
	// when, if set, holds the kill back until it reports the moment come.
	when func() bool
	// poll is how often target and when are asked again; 0 is 5 ms.
	poll time.Duration
}

// killed is what runKill did.
type killed struct {
	testworld.Result
	Pid   int  // the process killed, 0 if none
	Early bool // the command had ended before the kill
	Hung  bool // killed at the hang limit
}

// runKill runs rpod and kill -9s k's target after k's delay (polling for the
// target until the command ends when it is not there yet).
func runKill(env []string, k killer, args ...string) killed {
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.Bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// Its children (a monitor, an exec'd process) may keep the pipes open.
	cmd.WaitDelay = 5 * time.Second
	var res killed
	if err := cmd.Start(); err != nil {
		res.Code, res.Err = -1, err.Error()
		return res
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(k.delay)
	var err error
	waiting := true
	for waiting {
		select {
		case err = <-done:
			waiting = false
			res.Early = true
		case <-timer.C:
			pid := cmd.Process.Pid
			if k.when != nil && !k.when() {
				pid = 0
			} else if k.target != nil {
				pid = k.target()
			}
			if pid == 0 {
				timer.Reset(cmp.Or(k.poll, 5*time.Millisecond))
				continue
			}
			syscall.Kill(pid, syscall.SIGKILL)
			res.Pid = pid
			err = <-done
			waiting = false
		}
	}
	res.Out, res.Err = out.String(), errb.String()
	res.Hung = ctx.Err() != nil
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	default:
		res.Code = -1
		res.Err += err.Error()
	}
	return res
}

// waitFor polls cond every 100 ms for up to limit.
func waitFor(limit time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// firstLine is the first line of s, for log messages.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func cmdline(args []string) string { return "rpod " + strings.Join(args, " ") }

// logf keeps a line of the test's trace: make test shows every log line
// of a test, so the trace of hundreds of kills is printed only when the
// test fails (its last lines) or with RPOD_STRESS_TRACE=1 (all).
func logf(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("RPOD_STRESS_TRACE") == "1" {
		t.Logf(format, args...)
		return
	}
	traceMu.Lock()
	defer traceMu.Unlock()
	trace = append(trace, fmt.Sprintf(format, args...))
}

var (
	traceMu sync.Mutex
	trace   []string
)

// keepTrace starts a test's trace and prints its end if the test fails.
func keepTrace(t *testing.T) {
	traceMu.Lock()
	trace = nil
	traceMu.Unlock()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		traceMu.Lock()
		defer traceMu.Unlock()
		from := max(0, len(trace)-40)
		t.Logf("the last %d of %d trace lines:\n%s", len(trace)-from, len(trace), strings.Join(trace[from:], "\n"))
	})
}
