package cgroupdelegate

import (
	"errors"
	"testing"
	"time"
)

// TestTransientProps checks the D-Bus signatures systemd wants for each
// transient property: a wrong one fails StartTransientUnit as a whole.
func TestTransientProps(t *testing.T) {
	timer, service := timerProps(Timer{Name: "abc", Description: "d", Interval: 2 * time.Second,
		Argv: []string{"/usr/bin/rpod", "healthcheck", "run", "abc"}, Env: []string{"HOME=/h"}})
	scope := scopeProps("user.slice", "d", []int{42})
	for _, tc := range []struct {
		props []property
		name  string
		sig   string
	}{
		{timer, "Description", "s"},
		{timer, "TimersMonotonic", "a(st)"},
		{timer, "AccuracyUSec", "t"},
		{timer, "RemainAfterElapse", "b"},
		{timer, "CollectMode", "s"},
		{service, "Description", "s"},
		{service, "ExecStart", "a(sasb)"},
		{service, "Environment", "as"},
		{service, "LogLevelMax", "i"},
		{service, "StartLimitIntervalUSec", "t"},
		{service, "CollectMode", "s"},
		{scope, "Description", "s"},
		{scope, "Slice", "s"},
		{scope, "Delegate", "b"},
		{scope, "PIDs", "au"},
		{scope, "CollectMode", "s"},
	} {
		found := false
		for _, p := range tc.props {
			if p.Name == tc.name {
				found = true
				if s := p.Value.Signature().String(); s != tc.sig {
					t.Errorf("%s: signature %s, want %s", tc.name, s, tc.sig)
				}
			}
		}
		if !found {
			t.Errorf("no property %s", tc.name)
		}
	}
	for _, p := range timer {
		if p.Name != "TimersMonotonic" {
			continue
		}
		got := p.Value.Value().([]monotonicTimer)
		want := []monotonicTimer{{"OnActiveSec", 2000000}, {"OnUnitInactiveSec", 2000000}}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("TimersMonotonic %v, want %v", got, want)
		}
	}
	for _, p := range service {
		if p.Name != "ExecStart" {
			continue
		}
		got := p.Value.Value().([]execCommand)
		if len(got) != 1 || got[0].Path != "/usr/bin/rpod" || len(got[0].Args) != 4 || got[0].Args[0] != "/usr/bin/rpod" || !got[0].Ignore {
			t.Errorf("ExecStart %+v", got)
		}
	}
}

func TestStartTimerWithoutSystemd(t *testing.T) {
	for _, m := range []string{ManagerCgroupfs, ManagerNone} {
		h := Host{Version: "v2", Manager: m}
		err := h.StartTimer(Timer{Name: "x", Interval: time.Second, Argv: []string{"/bin/true"}})
		if !errors.Is(err, ErrNoUserManager) {
			t.Errorf("%s: %v, want ErrNoUserManager", m, err)
		}
		if err := h.StopUnits("x.timer"); err != nil {
			t.Errorf("%s: stop: %v, want nothing to do", m, err)
		}
	}
}
