package runtime

import (
	"strings"
	"testing"
)

func TestParseFilter(t *testing.T) {
	c := &Container{Config: Config{ID: "abcdef0123456789", Name: "web_1", Image: "docker.io/library/busybox:latest", ImageID: "feedbeef00", UserConfig: UserConfig{Labels: map[string]string{"app": "web", "tier": ""}}}}
	running := State{Status: "running"}
	exited3 := State{Status: "exited", ExitCode: 3}
	for _, tc := range []struct {
		name    string
		filters []string
		state   State
		match   bool
		bad     bool
	}{
		{"none", nil, running, true, false},
		{"status", []string{"status=running"}, running, true, false},
		{"status-other", []string{"status=exited"}, running, false, false},
		{"status-or", []string{"status=exited", "status=running"}, running, true, false},
		{"stopped-is-exited", []string{"status=stopped"}, exited3, true, false},
		{"status-bogus", []string{"status=sleepy"}, running, false, true},
		{"status-case", []string{"status=Running"}, running, false, true},
		{"paused", []string{"status=paused"}, State{Status: "running", Paused: true}, true, false},
		{"paused-is-not-running", []string{"status=running"}, State{Status: "running", Paused: true}, false, false},
		{"running-is-not-paused", []string{"status=paused"}, running, false, false},
		{"created", []string{"status=created"}, State{Status: "created"}, true, false},
		{"configured-is-created", []string{"status=configured"}, State{Status: "created"}, true, false},
		{"removing", []string{"status=removing"}, State{Status: "removing"}, true, false},
		{"removing-is-not-exited", []string{"status=exited"}, State{Status: "removing"}, false, false},
		{"unknown", []string{"status=unknown"}, State{Status: "unknown"}, true, false},
		{"unrecorded-is-unknown", []string{"status=unknown"}, State{}, true, false},
		{"initialized-matches-nothing", []string{"status=initialized"}, State{Status: "created"}, false, false},
		{"stopping-matches-nothing", []string{"status=stopping"}, running, false, false},
		{"restarting-matches-nothing", []string{"status=restarting"}, exited3, false, false},
		{"name-regex", []string{"name=^web"}, running, true, false},
		{"name-miss", []string{"name=db"}, running, false, false},
		{"name-bad-regex", []string{"name=("}, running, false, true},
		{"id-prefix", []string{"id=abcd"}, running, true, false},
		{"id-miss", []string{"id=bcd"}, running, false, false},
		{"ancestor-short", []string{"ancestor=busybox"}, running, true, false},
		{"ancestor-tag", []string{"ancestor=busybox:latest"}, running, true, false},
		{"ancestor-full", []string{"ancestor=docker.io/library/busybox"}, running, true, false},
		{"ancestor-id", []string{"ancestor=feedbe"}, running, true, false},
		{"ancestor-other", []string{"ancestor=alpine"}, running, false, false},
		{"exited", []string{"exited=3"}, exited3, true, false},
		{"exited-running", []string{"exited=0"}, running, false, false},
		{"exited-nan", []string{"exited=x"}, running, false, true},
		{"and", []string{"status=exited", "name=web"}, exited3, true, false},
		{"and-miss", []string{"status=running", "name=web"}, exited3, false, false},
		{"no-value", []string{"status="}, running, false, true},
		{"no-equals", []string{"status"}, running, false, true},
		{"unknown-key", []string{"color=red"}, running, false, true},
		{"label-key", []string{"label=app"}, running, true, false},
		{"label-value", []string{"label=app=web"}, running, true, false},
		{"label-other-value", []string{"label=app=db"}, running, false, false},
		{"label-missing", []string{"label=owner"}, running, false, false},
		{"label-empty-value", []string{"label=tier"}, running, true, false},
		{"labels-all-match", []string{"label=app=web", "label=owner"}, running, false, false},
		{"restart-policy-none-is-no", []string{"restart-policy=no"}, running, true, false},
		{"restart-policy-other", []string{"restart-policy=always"}, running, false, false},
		{"restart-policy-bogus", []string{"restart-policy=sometimes"}, running, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFilter(tc.filters)
			if (err != nil) != tc.bad {
				t.Fatalf("ParseFilter(%q) error %v, want error %v", tc.filters, err, tc.bad)
			}
			if err != nil {
				return
			}
			if got := f.Match(c, tc.state); got != tc.match {
				t.Errorf("Match = %v, want %v", got, tc.match)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"status=running", "name=^a.*", "id=abc", "ancestor=docker.io/x:1", "exited=0", "label=a", "=", "ancestor=/"} {
		f.Add(s)
	}
	c := &Container{Config: Config{ID: "abc", Name: "n", Image: "localhost/x", ImageID: "00"}}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter([]string{s})
		if err != nil {
			return
		}
		flt.Match(c, State{Status: "exited"})
		normalName(s)
	})
}

// TestStatusFilterAcceptsShownStates: every state ps can show, and every
// name podman accepts, is a valid status= value that matches that state.
func TestStatusFilterAcceptsShownStates(t *testing.T) {
	c := &Container{Config: Config{ID: "abc", Name: "n"}}
	for _, st := range []State{{Status: "created"}, {Status: "running"}, {Status: "running", Paused: true}, {Status: "exited"}, {Status: "removing"}, {Status: "unknown"}} {
		f, err := ParseFilter([]string{"status=" + st.ShownStatus()})
		if err != nil {
			t.Errorf("status=%s: %v", st.ShownStatus(), err)
			continue
		}
		if !f.Match(c, st) {
			t.Errorf("status=%s does not match its own state", st.ShownStatus())
		}
	}
	for _, v := range []string{"unknown", "configured", "created", "initialized", "running", "stopped", "paused", "exited", "removing", "stopping"} {
		if _, err := ParseFilter([]string{"status=" + v}); err != nil {
			t.Errorf("podman's status=%s: %v", v, err)
		}
	}
	_, err := ParseFilter([]string{"status=sleepy"})
	if err == nil || !strings.Contains(err.Error(), "created, exited, initialized, paused, removing") {
		t.Errorf("status=sleepy: %v, want the list of states", err)
	}
}
