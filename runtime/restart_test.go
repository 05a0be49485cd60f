package runtime

import (
	"strings"
	"testing"
	"time"
)

func TestParseRestartPolicy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want RestartPolicy
		ok   bool
	}{
		{"", RestartPolicy{Name: "no"}, true},
		{"no", RestartPolicy{Name: "no"}, true},
		{"always", RestartPolicy{Name: "always"}, true},
		{"unless-stopped", RestartPolicy{Name: "unless-stopped"}, true},
		{"on-failure", RestartPolicy{Name: "on-failure"}, true},
		{"on-failure:3", RestartPolicy{Name: "on-failure", MaxRetries: 3}, true},
		{"on-failure:0", RestartPolicy{Name: "on-failure"}, true},
		{"on-failure:", RestartPolicy{}, false},
		{"on-failure:x", RestartPolicy{}, false},
		{"on-failure:-1", RestartPolicy{}, false},
		{"on-failure:99999999999", RestartPolicy{}, false},
		{"always:3", RestartPolicy{}, false},
		{"no:1", RestartPolicy{}, false},
		{"sometimes", RestartPolicy{}, false},
		{"Always", RestartPolicy{}, false},
	} {
		got, err := ParseRestartPolicy(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRestartPolicy(%q) = %+v, %v", tc.in, got, err)
		}
		if err != nil && (!strings.Contains(err.Error(), "on-failure[:N]") || strings.Contains(err.Error(), "\n")) {
			t.Errorf("ParseRestartPolicy(%q): error %q does not list the policies on one line", tc.in, err)
		}
	}
}

func FuzzParseRestartPolicy(f *testing.F) {
	for _, s := range []string{"always", "on-failure:5", "no", "x:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRestartPolicy(s)
		if err != nil {
			return
		}
		switch p.Name {
		case "no", "always", "unless-stopped":
			if p.MaxRetries != 0 {
				t.Errorf("%q: retries on %s", s, p.Name)
			}
		case "on-failure":
		default:
			t.Errorf("%q parsed to %+v", s, p)
		}
	})
}

func TestRestarts(t *testing.T) {
	for _, tc := range []struct {
		policy   string
		code     int
		restarts uint
		stopped  bool
		want     bool
	}{
		{"no", 1, 0, false, false},
		{"always", 0, 0, false, true},
		{"always", 0, 100, false, true},
		{"always", 137, 0, true, false},
		{"unless-stopped", 0, 5, false, true},
		{"unless-stopped", 1, 5, true, false},
		{"on-failure", 0, 0, false, false},
		{"on-failure", 1, 50, false, true},
		{"on-failure:2", 1, 0, false, true},
		{"on-failure:2", 1, 1, false, true},
		{"on-failure:2", 1, 2, false, false},
		{"on-failure:2", 1, 0, true, false},
	} {
		p, err := ParseRestartPolicy(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Restarts(tc.code, tc.restarts, tc.stopped); got != tc.want {
			t.Errorf("%s: exit %d after %d restarts (stopped %v): restart %v, want %v", tc.policy, tc.code, tc.restarts, tc.stopped, got, tc.want)
		}
	}
}

func TestRestartDelay(t *testing.T) {
	if restartDelay(0) != 100*time.Millisecond || restartDelay(1) != 200*time.Millisecond || restartDelay(3) != 800*time.Millisecond {
		t.Errorf("delays %v %v %v", restartDelay(0), restartDelay(1), restartDelay(3))
	}
	if restartDelay(1000) != time.Minute {
		t.Errorf("restartDelay(1000) = %v, want the cap", restartDelay(1000))
	}
}
