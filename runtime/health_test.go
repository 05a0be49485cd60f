package runtime

import (
	"slices"
	"testing"
	"time"
)

func TestHealthArgv(t *testing.T) {
	for _, tc := range []struct {
		test []string
		want []string
	}{
		{[]string{"CMD", "ls", "/"}, []string{"ls", "/"}},
		{[]string{"CMD-SHELL", "exit 1"}, []string{"/bin/sh", "-c", "exit 1"}},
		{[]string{"NONE"}, nil},
		{nil, nil},
	} {
		h := &HealthConfig{Test: tc.test}
		if got := h.Argv(); !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.test, got, tc.want)
		}
	}
	if (*HealthConfig)(nil).Argv() != nil {
		t.Error("nil config has a command")
	}
}

func TestRecordHealth(t *testing.T) {
	ok := HealthResult{ExitCode: 0}
	bad := HealthResult{ExitCode: 1}
	for _, tc := range []struct {
		name    string
		runs    []HealthResult
		start   bool
		retries int
		status  string
		streak  int
	}{
		{"first success", []HealthResult{ok}, false, 3, HealthHealthy, 0},
		{"one failure of three", []HealthResult{bad}, false, 3, HealthStarting, 1},
		{"three failures", []HealthResult{bad, bad, bad}, false, 3, HealthUnhealthy, 3},
		{"healthy, then failures", []HealthResult{ok, bad, bad}, false, 3, HealthHealthy, 2},
		{"recovers", []HealthResult{bad, bad, bad, ok}, false, 3, HealthHealthy, 0},
		{"start period", []HealthResult{bad, bad, bad, bad}, true, 1, HealthStarting, 0},
		{"retries 0 as 1", []HealthResult{bad}, false, 0, HealthUnhealthy, 1},
	} {
		h := HealthState{Status: HealthStarting}
		for _, r := range tc.runs {
			recordHealth(&h, r, tc.start, tc.retries)
		}
		if h.Status != tc.status || h.FailingStreak != tc.streak || len(h.Log) != len(tc.runs) {
			t.Errorf("%s: %+v, want %s streak %d", tc.name, h, tc.status, tc.streak)
		}
	}
	h := HealthState{}
	for i := 0; i < 8; i++ {
		recordHealth(&h, HealthResult{ExitCode: i, Start: time.Unix(int64(i), 0)}, false, 3)
	}
	if len(h.Log) != healthLogMax || h.Log[0].ExitCode != 3 || h.Log[4].ExitCode != 7 {
		t.Errorf("log keeps %+v, want the last %d", h.Log, healthLogMax)
	}
}
