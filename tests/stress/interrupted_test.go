package stress

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fixed-point chaos cases of this file kill rpod at the moments the
// random run hits only by chance: when the starter of a container has
// mounted its rootfs but not yet recorded the run, and when a create or an
// rm has half done its work in the store.

// storeFiles reads the world's store as containers/storage keeps it.
type storeFiles struct{ graph, driver string }

func worldStore(t *testing.T, env []string) storeFiles {
	t.Helper()
	r := run(env, "info", "--format", "{{.Store.GraphDriverName}} {{.Store.GraphRoot}}")
	f := strings.Fields(r.Out)
	if r.Code != 0 || len(f) != 2 {
		t.Fatalf("rpod info: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	return storeFiles{driver: f[0], graph: f[1]}
}

// record is a container of rpod's container index.
type record struct{ ID string }

// record finds the container called name in the index (ctrindex).
func (s storeFiles) record(name string) (record, bool) {
	id, err := os.Readlink(filepath.Join(s.graph, "rpod", "names", name))
	if err != nil {
		return record{}, false
	}
	if _, err := os.Stat(filepath.Join(s.dir(id), "config.json")); err != nil {
		return record{}, false
	}
	return record{ID: id}, true
}

func (s storeFiles) dir(id string) string { return filepath.Join(s.graph, "rpod", "containers", id) }

// trash is where a removal takes the container's directory before it deletes it.
func (s storeFiles) trash(id string) string { return filepath.Join(s.graph, "rpod", "trash", id) }

func (s storeFiles) stateFile(id string) string {
	return filepath.Join(s.dir(id), "state.json")
}

// TestChaosKilledStarter kills the rpod run, or the monitor of an rpod
// start, the moment the container's rootfs is mounted, before the run is
// recorded: the next command gives the mount back, and the container
// starts again and is removed cleanly.
func TestChaosKilledStarter(t *testing.T) {
	keepTrace(t)
	env := suite.NewWorld(t)
	if r := run(env, "pull", "-q", "busybox"); r.Code != 0 {
		t.Fatalf("pull busybox: %s", r.Err)
	}
	tries := 6
	if big() {
		tries = 40
	}
	mounted := func() bool { m, _ := overlayMounts(env); return len(m) > 0 }
	hits := map[string]int{}
	for i := 0; i < tries; i++ {
		for _, how := range []string{"run", "start"} {
			name := fmt.Sprintf("%s%d", how, i)
			k := killer{when: mounted, poll: time.Millisecond}
			args := []string{"run", "--name", name, "busybox", "true"}
			if how == "start" {
				r := run(env, "create", "--name", name, "busybox", "sleep", "3600")
				if r.Code != 0 {
					t.Fatalf("create %s: %s", name, r.Err)
				}
				id := strings.TrimSpace(r.Out)
				k.target = func() int { return monitorPID(id) }
				args = []string{"start", name}
			}
			res := runKill(env, k, args...)
			// The next command: ps.
			cs, err := containers(env)
			if err != nil {
				t.Fatalf("after a kill during %s: %v", cmdline(args), err)
			}
			ct, listed := cs[name]
			logf(t, "%s: killed pid %d (early %v), then %s %q", cmdline(args), res.Pid, res.Early, ct.State, ct.Status)
			if res.Pid != 0 && ct.State == "created" {
				hits[how]++
			}
			if !waitFor(30*time.Second, func() bool { cs, err := containers(env); return err == nil && cs[name].State != "running" }) {
				t.Errorf("%s shown running after its owner was killed", name)
			}
			if m, err := overlayMounts(env); err != nil || len(m) > 0 {
				t.Errorf("after a kill during %s and rpod ps: %s (%s), rootfs mounts left: %v %v", cmdline(args), name, ct.Status, m, err)
			}
			if !listed {
				continue
			}
			if r := run(env, "start", name); r.Code != 0 {
				t.Errorf("start %s again after the kill: exit %d %s", name, r.Code, firstLine(r.Err))
			}
			if r := run(env, "rm", "-f", name); r.Code != 0 {
				t.Errorf("rm -f %s: exit %d %s", name, r.Code, firstLine(r.Err))
			}
			if m, err := overlayMounts(env); err != nil || len(m) > 0 {
				t.Errorf("after rm -f %s: rootfs mounts left: %v %v", name, m, err)
			}
		}
	}
	t.Logf("killed between mount and the recorded run: %v of %d tries each", hits, tries)
}

// TestChaosCutShortCreateRm kills rpod create once the store holds the
// container but rpod has not recorded its state, and rpod rm once the
// store has begun to delete it: the next command shows an honest state,
// not "unknown": created for the one, removing (or gone) for the other,
// and rm cleans either up, freeing the name.
func TestChaosCutShortCreateRm(t *testing.T) {
	keepTrace(t)
	env := suite.NewWorld(t)
	if r := run(env, "pull", "-q", "busybox"); r.Code != 0 {
		t.Fatalf("pull busybox: %s", r.Err)
	}
	st := worldStore(t, env)
	tries := 8
	if big() {
		tries = 40
	}
	hits := map[string]int{}
	check := func(op, name string, res killed) {
		t.Helper()
		cs, err := containers(env)
		if err != nil {
			t.Fatalf("after a kill during %s: %v", op, err)
		}
		ct, listed := cs[name]
		logf(t, "%s %s: killed pid %d (early %v), then listed %v %s %q", op, name, res.Pid, res.Early, listed, ct.State, ct.Status)
		if !listed {
			return
		}
		if res.Pid != 0 {
			hits[op]++
		}
		switch {
		case ct.State == "unknown":
			t.Errorf("after a kill during %s, %s is in state unknown (%s)", op, name, ct.Status)
		case op == "create" && ct.State != "created":
			t.Errorf("after a kill during create, %s is %s, want created", name, ct.State)
		case op == "rm" && ct.State != "removing" && ct.State != "exited" && ct.State != "running":
			t.Errorf("after a kill during rm, %s is %s (%s)", name, ct.State, ct.Status)
		}
		if op == "create" {
			// Honest: a created container starts, or, when the kill came
			// before its network and volumes were written, start says so.
			r := run(env, "start", "-a", name)
			if r.Code != 0 && !(r.Code == 125 && strings.Contains(r.Err, "its creation was cut short")) {
				t.Errorf("start -a %s after a cut-short create: exit %d %s", name, r.Code, firstLine(r.Err))
			}
		}
		if r := run(env, "rm", "-f", name); r.Code != 0 {
			t.Errorf("rm -f %s (%s) after a kill during %s: exit %d %s", name, ct.State, op, r.Code, firstLine(r.Err))
		}
		if r := run(env, "create", "--name", name, "busybox", "true"); r.Code != 0 {
			t.Errorf("the name %s is not free after rm -f: %s", name, firstLine(r.Err))
		}
		run(env, "rm", "-f", name)
	}
	for i := 0; i < tries; i++ {
		name := fmt.Sprintf("c%d", i)
		k := killer{poll: time.Millisecond, when: func() bool {
			r, ok := st.record(name)
			if !ok {
				return false
			}
			_, err := os.Stat(st.stateFile(r.ID))
			return err != nil
		}}
		check("create", name, runKill(env, k, "create", "--name", name, "busybox", "true"))

		name = fmt.Sprintf("r%d", i)
		r := run(env, "run", "-d", "--name", name, "busybox", "sleep", "3600")
		if r.Code != 0 {
			t.Fatalf("run -d %s: %s", name, r.Err)
		}
		id := strings.TrimSpace(r.Out)
		early := i%2 == 0 // else only once its directory is in the trash
		k = killer{poll: time.Millisecond, when: func() bool {
			if b, err := os.ReadFile(st.stateFile(id)); early && err == nil && strings.Contains(string(b), `"removing"`) {
				return true
			}
			_, err := os.Stat(st.trash(id))
			return err == nil
		}}
		res := runKill(env, k, "rm", "-f", name)
		if _, err := os.Stat(st.trash(id)); err == nil {
			hits["rm, in the trash"]++
			// Taken away whole, not yet deleted: gone for every command.
			if cs, err := containers(env); err == nil {
				if ct, listed := cs[name]; listed {
					t.Errorf("after a kill during rm, %s is in the trash but listed %s (%s)", name, ct.State, ct.Status)
				}
			}
		}
		check("rm", name, res)
	}
	t.Logf("kills that left the container half made or half removed: %v of %d tries each", hits, tries)
	if r := run(env, "rm", "-af"); r.Code != 0 {
		t.Errorf("rm -af: %s", r.Err)
	}
	if m, err := overlayMounts(env); err != nil || len(m) > 0 {
		t.Errorf("rootfs mounts left after rm -af: %v %v", m, err)
	}
}
