package stress

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCutShortCreateRefusedAtStart: a container whose rpod create was
// killed after the store recorded it but before its network settings and
// volumes were written (state.json still "creating", or no state.json at
// all) is shown created but refuses to start with a message naming the
// fix; rm removes it and frees the name. The two states are made by hand
// (deterministic), then by kills of rpod create with -p and -v.
func TestCutShortCreateRefusedAtStart(t *testing.T) {
	keepTrace(t)
	env := suite.NewWorld(t)
	if r := run(env, "pull", "-q", "busybox"); r.Code != 0 {
		t.Fatalf("pull busybox: %s", r.Err)
	}
	st := worldStore(t, env)
	refused := func(how, name string) {
		t.Helper()
		cs, err := containers(env)
		if err != nil {
			t.Fatal(err)
		}
		if cs[name].State != "created" {
			t.Errorf("%s: %s is shown %s, want created", how, name, cs[name].State)
		}
		r := run(env, "start", name)
		last := firstLine(r.Err)
		if r.Code != 125 || !strings.Contains(last, "cannot start "+name+": its creation was cut short") || !strings.Contains(last, "rpod rm "+name) {
			t.Errorf("%s: start %s: exit %d %q, want 125 and the cut-short creation with its fix", how, name, r.Code, r.Err)
		}
		if cs, _ := containers(env); cs[name].State != "created" {
			t.Errorf("%s: after the refused start %s is %s, want created still", how, name, cs[name].State)
		}
		if r := run(env, "rm", name); r.Code != 0 {
			t.Errorf("%s: rm %s: exit %d %s", how, name, r.Code, firstLine(r.Err))
		}
		if r := run(env, "create", "--name", name, "busybox", "true"); r.Code != 0 {
			t.Errorf("%s: the name %s is not free after rm: %s", how, name, firstLine(r.Err))
		}
		if r := run(env, "start", "-a", name); r.Code != 0 {
			t.Errorf("%s: a complete %s does not start: exit %d %s", how, name, r.Code, firstLine(r.Err))
		}
		run(env, "rm", "-f", name)
	}
	for _, c := range []struct{ how, state string }{
		{"killed before the network was written", `{"status":"created","exitCode":0,"creating":true}`},
		{"killed before any state was written", ""},
	} {
		name := "hand"
		r := run(env, "create", "--name", name, "-p", "18080:80", "busybox", "true")
		if r.Code != 0 {
			t.Fatalf("create: %s", r.Err)
		}
		p := st.stateFile(strings.TrimSpace(r.Out))
		var err error
		if c.state == "" {
			err = os.Remove(p)
		} else {
			err = os.WriteFile(p, []byte(c.state), 0o600)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.how, err)
		}
		refused(c.how, name)
	}

	// The same window, hit by kill -9 of rpod create itself.
	tries := 8
	if big() {
		tries = 40
	}
	hits := 0
	vol := t.TempDir()
	os.Chmod(vol, 0o755)
	for i := 0; i < tries; i++ {
		name := fmt.Sprintf("k%d", i)
		k := killer{poll: time.Millisecond, when: func() bool {
			r, ok := st.record(name)
			if !ok {
				return false
			}
			b, err := os.ReadFile(st.stateFile(r.ID))
			return err == nil && strings.Contains(string(b), `"creating":true`)
		}}
		res := runKill(env, k, "create", "--name", name, "-v", vol+":/v", "busybox", "true")
		b, err := func() ([]byte, error) {
			r, ok := st.record(name)
			if !ok {
				return nil, os.ErrNotExist
			}
			return os.ReadFile(st.stateFile(r.ID))
		}()
		logf(t, "create %s: killed pid %d (early %v), state %q %v", name, res.Pid, res.Early, b, err)
		switch {
		case err == nil && strings.Contains(string(b), `"creating":true`):
			hits++
			refused("kill -9 of rpod create", name)
		case err == nil:
			// Killed too late, or not at all: a complete container starts.
			if r := run(env, "start", "-a", name); r.Code != 0 {
				t.Errorf("start -a %s after a create that was complete: exit %d %s", name, r.Code, firstLine(r.Err))
			}
			run(env, "rm", "-f", name)
		default:
			run(env, "rm", "-f", name)
		}
	}
	t.Logf("kills that left a create cut short before its network and volumes: %d of %d", hits, tries)
}
