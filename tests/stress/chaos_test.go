package stress

import (
	"fmt"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chaosOps are the commands a kill lands in; monitorOps have a container
// whose monitor runs while the command does.
var (
	chaosOps   = []string{"pull", "create", "start", "exec", "stop", "rm", "commit", "run-d", "run"}
	monitorOps = []string{"start", "exec", "stop", "rm", "commit"}
)

// chaos is one chaos run's world and its tally.
type chaos struct {
	t        *testing.T
	env      []string
	rng      *rand.Rand
	cmds     int            // rpod commands run
	kills    map[string]int // kills that hit, by target
	missed   int            // commands that ended before their kill
	lost     int
	removing int    // containers seen in state removing, a cut-short rm's (then removed)
	sentinel string // a container that runs through it all
	findings map[string][]int
	knowns   map[string][]int
}

// rpod runs one command of the suite's own and counts it.
func (c *chaos) rpod(args ...string) (string, int, string) {
	c.cmds++
	r := run(c.env, args...)
	return strings.TrimSpace(r.Out), r.Code, r.Err
}

// must runs a command that must succeed.
func (c *chaos) must(i int, args ...string) (string, bool) {
	out, code, errs := c.rpod(args...)
	if code != 0 {
		c.t.Errorf("injection %d: %s: exit %d: %s", i, cmdline(args), code, firstLine(errs))
		return "", false
	}
	return out, true
}

// finding records a broken invariant once per kind, with the injections it happened in.
func (c *chaos) finding(i int, kind, detail string) {
	if len(c.findings[kind]) == 0 {
		c.t.Errorf("injection %d: %s: %s", i, kind, detail)
	} else {
		logf(c.t, "injection %d: %s again: %s", i, kind, detail)
	}
	c.findings[kind] = append(c.findings[kind], i)
}

// known records a known, reported weakness: logged and counted, not failed.
func (c *chaos) known(i int, kind, detail string) {
	logf(c.t, "injection %d: known: %s: %s", i, kind, detail)
	c.knowns[kind] = append(c.knowns[kind], i)
}

// livePause is the world's pause process if it runs, else 0.
func livePause(env []string) int {
	pid := pausePID(env)
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !strings.HasPrefix(string(b), "rpod-pause") {
		return 0
	}
	return pid
}

func (c *chaos) startSentinel(i int) {
	c.sentinel = fmt.Sprintf("sentinel%d", i)
	c.must(i, "run", "-d", "--name", c.sentinel, "busybox", "sleep", "360000")
}

// TestChaos kills rpod, a monitor or the pause process with SIGKILL at a
// random moment of pull, create, start, exec, stop, rm, commit and run, many
// times; after each kill the next command works, ps and images are
// consistent, a container is usable when listed running and removable
// whatever it is, and a long-running container survives it all.
func TestChaos(t *testing.T) {
	sd := seed(t)
	env := suite.NewWorld(t)
	if r := run(env, "pull", "-q", "busybox"); r.Code != 0 {
		t.Fatalf("pull busybox: %s", r.Err)
	}
	n := 50
	if big() {
		n = 1000
	}
	if v, err := strconv.Atoi(os.Getenv("RPOD_CHAOS_N")); err == nil && v > 0 {
		n = v
	}
	c := &chaos{t: t, env: env, rng: rand.New(rand.NewSource(sd)), kills: map[string]int{}, findings: map[string][]int{}, knowns: map[string][]int{}}
	c.startSentinel(0)
	for i := 1; i <= n; i++ {
		c.inject(i)
		if c.lost > 0 {
			break
		}
	}
	// Everything comes down and nothing stays behind.
	if _, ok := c.must(n+1, "rm", "-af"); ok {
		if mounts, err := overlayMounts(env); err != nil || len(mounts) > 0 {
			c.finding(n+1, "rootfs mounts left after rm -af", fmt.Sprint(mounts, err))
		}
	}
	var left []string
	for pid, cl := range worldProcs(env) {
		if !strings.HasPrefix(cl, "rpod-pause") {
			left = append(left, fmt.Sprintf("%d %s", pid, cl))
		}
	}
	sort.Strings(left)
	if len(left) > 0 {
		c.finding(n+1, "rpod processes left after rm -af", strings.Join(left, "; "))
	}
	total := 0
	for _, k := range c.kills {
		total += k
	}
	t.Logf("chaos: %d injections, %d kills (rpod %d, monitor %d, pause %d), %d commands ended before their kill, %d rpod commands, %d containers left in state removing (removed), %d lost",
		n, total, c.kills["rpod"], c.kills["monitor"], c.kills["pause"], c.missed, c.cmds, c.removing, c.lost)
	for kind, at := range c.findings {
		t.Logf("finding: %s, at injections %v", kind, at)
	}
	for kind, at := range c.knowns {
		t.Logf("known (not failed): %s, at injections %v", kind, at)
	}
}

// inject sets up one command, kills something during it and checks the world.
func (c *chaos) inject(i int) {
	op := chaosOps[c.rng.Intn(len(chaosOps))]
	target := "rpod"
	switch r := c.rng.Intn(100); {
	case r >= 80:
		target = "pause"
	case r >= 55 && slices.Contains(monitorOps, op):
		target = "monitor"
	}
	delay := time.Duration(c.rng.Intn(301)) * time.Millisecond
	name := fmt.Sprintf("k%d", i)
	commit := fmt.Sprintf("localhost/commit%d:latest", i)

	// Set up what the command works on.
	id := ""
	switch op {
	case "pull":
		c.rpod("rmi", "-i", "multilayer")
	case "start":
		id, _ = c.must(i, "create", "--name", name, "busybox", "sleep", "3600")
	case "exec", "stop", "rm", "commit":
		id, _ = c.must(i, "run", "-d", "--name", name, "busybox", "sh", "-c", "echo x >/f; exec sleep 3600")
		if op == "commit" {
			// What the commit must hold is written before it starts.
			waitFor(30*time.Second, func() bool { _, code, _ := c.rpod("exec", name, "test", "-s", "/f"); return code == 0 })
		}
	}
	var args []string
	switch op {
	case "pull":
		args = []string{"pull", "-q", "multilayer"}
	case "create":
		args = []string{"create", "--name", name, "busybox", "sleep", "3600"}
	case "start":
		args = []string{"start", name}
	case "exec":
		args = []string{"exec", name, "sh", "-c", "sleep 0.3"}
	case "stop":
		args = []string{"stop", "-t", "1", name}
	case "rm":
		args = []string{"rm", "-f", name}
	case "commit":
		args = []string{"commit", name, commit}
	case "run-d":
		args = []string{"run", "-d", "--name", name, "busybox", "sleep", "3600"}
	case "run":
		args = []string{"run", "--rm", "--name", name, "busybox", "sh", "-c", "sleep 0.3"}
	}
	k := killer{delay: delay}
	switch target {
	case "monitor":
		k.target = func() int { return monitorPID(id) }
	case "pause":
		k.target = func() int { return livePause(c.env) }
	}
	c.cmds++
	res := runKill(c.env, k, args...)
	if res.Early || res.Pid == 0 {
		c.missed++
	} else {
		c.kills[target]++
	}
	logf(c.t, "injection %d: %s during %s after %s: pid %d, exit %d %s", i, target, cmdline(args), delay, res.Pid, res.Code, firstLine(res.Err))
	if res.Hung {
		c.finding(i, "command hung", cmdline(args)+": "+res.Err)
	}
	c.check(i, op, target, res, name, id, commit)
}

// check is what must hold after every kill.
func (c *chaos) check(i int, op, target string, res killed, name, id, commit string) {
	// The next command works: ps and images answer, and agree with themselves.
	cs, err := containers(c.env)
	c.cmds++
	if err != nil {
		c.finding(i, "rpod ps -a fails after a kill", err.Error())
		if cs, err = containers(c.env); err != nil {
			c.lost++
			c.t.Errorf("injection %d: rpod ps -a fails twice: %v", i, err)
			return
		}
	}
	ims, err := images(c.env)
	c.cmds++
	if err != nil {
		c.finding(i, "rpod images fails after a kill", err.Error())
		return
	}
	monitorDied := target == "monitor" && res.Pid != 0
	if ct, ok := cs[name]; ok {
		if id == "" {
			id = ct.ID
		}
		if monitorDied && ct.State == "running" {
			// The container dies with its monitor (Pdeathsig): ps must say so.
			if !waitFor(20*time.Second, func() bool {
				cs2, err := containers(c.env)
				return err == nil && cs2[name].State != "running"
			}) {
				c.finding(i, "container shown running after its monitor was killed", name+" "+ct.Status)
			}
			cs, _ = containers(c.env)
			ct = cs[name]
		}
		switch ct.State {
		case "running":
			// Honest: a container listed running can be used.
			if _, code, errs := c.rpod("exec", name, "true"); code != 0 {
				c.finding(i, "container listed running but exec fails", fmt.Sprintf("%s after %s of %s: %s", name, target, op, firstLine(errs)))
			}
		case "created", "exited", "stopped":
		case "removing":
			// Its removal was cut short: honest, if rm finishes it.
			c.removing++
		default:
			// "unknown" too: a create cut short is created, an rm cut short removing.
			c.finding(i, "container in an odd state", fmt.Sprintf("%s is %q (%s) after %s of %s", name, ct.State, ct.Status, target, op))
		}
		if ct.State == "created" && monitorPID(ct.ID) != 0 {
			// Its monitor is still starting it (the rpod that asked was killed): let it.
			waitFor(30*time.Second, func() bool {
				cs2, err := containers(c.env)
				return err == nil && cs2[name].State != "created" || monitorPID(ct.ID) == 0
			})
			if cs2, err := containers(c.env); err == nil {
				ct = cs2[name]
			}
		}
		if ct.State != "running" {
			// Whoever mounted it to run it (a killed foreground rpod run, a
			// monitor killed while starting) recorded itself first: the
			// next command gave the mount back.
			if listed, err := listedMounts(c.env); err == nil && listed[ct.ID] != "" {
				c.finding(i, "rootfs of a container that is not running stays mounted", fmt.Sprintf("%s (%s) after %s of %s", name, ct.Status, target, op))
			}
		}
		// Whatever it is, rm -f removes it, with its monitor.
		if _, code, errs := c.rpod("rm", "-f", name); code != 0 {
			c.finding(i, "rm -f fails after a kill", fmt.Sprintf("%s (%s) after %s of %s: %s", name, ct.State, target, op, firstLine(errs)))
		} else if cs2, err := containers(c.env); err == nil {
			if _, still := cs2[name]; still {
				c.finding(i, "rm -f leaves the container listed", name)
			}
		}
	}
	if id != "" && !waitFor(20*time.Second, func() bool { return monitorPID(id) == 0 }) {
		c.finding(i, "monitor outlives its removed container", fmt.Sprintf("%s after %s of %s: pid %d", name, target, op, monitorPID(id)))
	}

	// No image without its layers: a listed image runs.
	switch op {
	case "commit":
		if _, ok := ims[commit]; ok {
			if out, code, errs := c.rpod("run", "--rm", commit, "cat", "/f"); code != 0 || out != "x" {
				c.finding(i, "committed image listed but unusable", fmt.Sprintf("%s after %s: %q %s", commit, target, out, firstLine(errs)))
			}
			c.must(i, "rmi", commit)
		}
	case "pull":
		if _, ok := ims[regAddr+"/multilayer:latest"]; ok {
			if _, code, errs := c.rpod("run", "--rm", "multilayer", "true"); code != 0 {
				c.finding(i, "pulled image listed but unusable", fmt.Sprintf("after %s: %s", target, firstLine(errs)))
			}
		}
		if _, code, errs := c.rpod("pull", "-q", "multilayer"); code != 0 {
			c.finding(i, "pull fails after a killed pull", fmt.Sprintf("after %s: %s", target, firstLine(errs)))
		}
	}
	if _, ok := ims[regAddr+"/busybox:latest"]; !ok {
		c.lost++
		c.t.Errorf("injection %d: busybox is lost after %s of %s", i, target, op)
	}

	// The sentinel lives through it all, visible and usable.
	st, ok := cs[c.sentinel]
	switch {
	case !ok:
		c.lost++
		c.t.Errorf("injection %d: the sentinel container %s is lost after %s of %s", i, c.sentinel, target, op)
		c.startSentinel(i)
	case st.State != "running":
		c.finding(i, "sentinel no longer running", fmt.Sprintf("%s is %s after %s of %s", c.sentinel, st.Status, target, op))
		c.rpod("rm", "-f", c.sentinel)
		c.startSentinel(i)
	case target == "pause" && res.Pid != 0:
		if _, code, errs := c.rpod("exec", c.sentinel, "true"); code != 0 {
			c.finding(i, "exec into a running container fails after the pause process was killed", firstLine(errs))
		}
		if c.rng.Intn(3) == 0 {
			// Stop, too; then a new sentinel.
			if _, code, errs := c.rpod("stop", "-t", "0", c.sentinel); code != 0 {
				c.finding(i, "stop of a running container fails after the pause process was killed", firstLine(errs))
			}
			if _, code, errs := c.rpod("rm", "-f", c.sentinel); code != 0 {
				c.finding(i, "rm of a container fails after the pause process was killed", firstLine(errs))
			}
			c.startSentinel(i)
		}
	}

	if cs, err = containers(c.env); err == nil {
		for _, b := range checkMounts(c.env, cs) {
			c.finding(i, "mount table inconsistent", fmt.Sprintf("after %s of %s: %s", target, op, b))
		}
	}
}

// TestChaosFixedPoints kills at chosen moments what the random run hits by
// chance: the pause process under running containers (root and non-root
// inside), and a monitor, then restarts its container.
func TestChaosFixedPoints(t *testing.T) {
	env := suite.NewWorld(t)
	ok := func(args ...string) string {
		t.Helper()
		r := run(env, args...)
		if r.Code != 0 {
			t.Fatalf("%s: exit %d: %s", cmdline(args), r.Code, r.Err)
		}
		return strings.TrimSpace(r.Out)
	}
	ok("pull", "-q", "busybox")
	ok("run", "-d", "--name", "root", "busybox", "sleep", "36000")
	ok("run", "-d", "--name", "nobody", "--user", "65534", "busybox", "sleep", "36000")

	// The pause process dies: the next rpod rejoins the namespace the monitors hold.
	old := livePause(env)
	if old == 0 {
		t.Fatal("no pause process")
	}
	oldNS, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", old))
	syscall.Kill(old, syscall.SIGKILL)
	waitFor(10*time.Second, func() bool { return livePause(env) == 0 })
	cs, err := containers(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"root", "nobody"} {
		if cs[n].State != "running" {
			t.Errorf("after the pause process died, %s is %s", n, cs[n].Status)
		}
		if out := ok("exec", n, "id", "-u"); out != map[string]string{"root": "0", "nobody": "65534"}[n] {
			t.Errorf("exec %s id -u: %q", n, out)
		}
	}
	if p := livePause(env); p == 0 || p == old {
		t.Errorf("pause process not recreated: %d (was %d)", p, old)
	} else if ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", p)); ns != oldNS {
		t.Errorf("the new pause process is in %s, the containers' namespace is %s", ns, oldNS)
	}
	ok("stop", "-t", "0", "nobody")
	if cs, _ := containers(env); cs["nobody"].State != "exited" {
		t.Errorf("after stop, nobody is %s", cs["nobody"].Status)
	}
	ok("rm", "-f", "root")

	// A monitor dies: its container with it, reported exited (-1), not mounted,
	// and it starts again and comes down cleanly.
	id := ok("run", "-d", "--name", "orphan", "busybox", "sleep", "36000")
	mon := monitorPID(id)
	if mon == 0 {
		t.Fatal("no monitor for orphan")
	}
	syscall.Kill(mon, syscall.SIGKILL)
	if !waitFor(30*time.Second, func() bool { cs, err := containers(env); return err == nil && cs["orphan"].State == "exited" }) {
		t.Fatal("orphan not reported exited after its monitor died")
	}
	if cs, _ := containers(env); cs["orphan"].Status != "Exited (-1)" && !strings.HasPrefix(cs["orphan"].Status, "Exited (-1) ") {
		t.Errorf("orphan's status: %q, want Exited (-1)", cs["orphan"].Status)
	}
	if m, _ := listedMounts(env); m[id] != "" {
		t.Errorf("rpod mount lists orphan, whose monitor died")
	}
	ok("start", "orphan")
	ok("exec", "orphan", "true")
	ok("stop", "-t", "0", "orphan")
	cs, _ = containers(env)
	for _, b := range checkMounts(env, cs) {
		t.Error(b)
	}
	ok("rm", "-a", "-f")
	if mounts, err := overlayMounts(env); err != nil || len(mounts) > 0 {
		t.Errorf("rootfs mounts left after rm -af: %v %v", mounts, err)
	}
}
