package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpod/rpod/runtime"
)

func TestParseHealthCmd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"curl -f http://localhost/", []string{"CMD-SHELL", "curl -f http://localhost/"}, ""},
		{"exit 0", []string{"CMD-SHELL", "exit 0"}, ""},
		{"none", nil, ""},
		{"NONE", nil, ""},
		{`["CMD", "ls", "/"]`, []string{"CMD", "ls", "/"}, ""},
		{`["cmd", "ls"]`, []string{"CMD", "ls"}, ""},
		{`["CMD-SHELL", "exit 1"]`, []string{"CMD-SHELL", "exit 1"}, ""},
		{`["CMD-SHELL", "a", "b"]`, []string{"CMD-SHELL", "a b"}, ""},
		{`["ls", "/"]`, []string{"CMD", "ls", "/"}, ""},
		{`["NONE"]`, nil, ""},
		{`[]`, nil, "the array is empty"},
		{`["CMD"]`, nil, "needs a command"},
		{`["CMD-SHELL", ""]`, nil, "needs a command"},
		{`[1, 2]`, nil, "not a JSON array of strings"},
		{`[not json`, nil, "not a JSON array"},
		{"", nil, "it is empty"},
		{"  ", nil, "it is empty"},
	} {
		got, err := parseHealthCmd(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseHealthCmd(%q): err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseHealthCmd(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseHealthCmd(f *testing.F) {
	for _, s := range []string{"exit 0", "none", `["CMD","ls"]`, `["CMD-SHELL","x"]`, `[]`, `["ls"]`, "["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseHealthCmd(s)
		if err != nil || got == nil {
			return
		}
		if (got[0] != "CMD" && got[0] != "CMD-SHELL") || len(got) < 2 {
			t.Fatalf("parseHealthCmd(%q) = %q", s, got)
		}
	})
}

func defaultHealthFlags() healthFlags {
	return healthFlags{healthInterval: "30s", healthRetries: 3, healthStartPeriod: "0s", healthTimeout: "30s", healthOnFailure: "none"}
}

func TestParseHealthFlags(t *testing.T) {
	mod := func(m func(*healthFlags)) healthFlags { f := defaultHealthFlags(); m(&f); return f }
	for _, tc := range []struct {
		name string
		f    healthFlags
		nil_ bool
		err  string
		test func(t *testing.T, f healthFlags)
	}{
		{name: "no check", f: defaultHealthFlags(), nil_: true},
		{name: "defaults", f: mod(func(f *healthFlags) { f.healthCmd = "true" })},
		{name: "none", f: mod(func(f *healthFlags) { f.healthCmd = "none" }), nil_: true},
		{name: "no-healthcheck", f: mod(func(f *healthFlags) { f.noHealthcheck = true }), nil_: true},
		{name: "no-healthcheck and cmd", f: mod(func(f *healthFlags) { f.noHealthcheck = true; f.healthCmd = "true" }), err: "cannot specify both"},
		{name: "interval disable", f: mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthInterval = "disable" })},
		{name: "interval short", f: mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthInterval = "500ms" }), err: "at least 1s"},
		{name: "interval bad", f: mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthInterval = "often" }), err: `invalid --health-interval "often"`},
		{name: "timeout 0", f: mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthTimeout = "0s" }), err: "--health-timeout"},
		{name: "start negative", f: mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthStartPeriod = "-1s" }), err: "0 seconds or more"},
		{name: "retries 0", f: mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthRetries = 0 }), err: "--health-retries"},
		{name: "on-failure bad", f: mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthOnFailure = "explode" }), err: `invalid on-failure action "explode"`},
		{name: "bad flags without a command still fail", f: mod(func(f *healthFlags) { f.healthInterval = "x" }), err: "--health-interval"},
	} {
		hc, err := parseHealthFlags(tc.f)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || (hc == nil) != tc.nil_ {
			t.Errorf("%s: %+v, %v", tc.name, hc, err)
		}
	}
	hc, err := parseHealthFlags(healthFlags{healthCmd: `["CMD","ls"]`, healthInterval: "2s", healthRetries: 4,
		healthStartPeriod: "1m", healthTimeout: "5s", healthOnFailure: "restart"})
	if err != nil || hc.Interval != 2*time.Second || hc.Retries != 4 || hc.StartPeriod != time.Minute ||
		hc.Timeout != 5*time.Second || hc.OnFailure != "restart" || !slices.Equal(hc.Test, []string{"CMD", "ls"}) {
		t.Errorf("full flags: %+v, %v", hc, err)
	}
	if hc, _ := parseHealthFlags(mod(func(f *healthFlags) { f.healthCmd = "true"; f.healthInterval = "disable" })); hc.Interval != 0 {
		t.Errorf("disable: interval %v", hc.Interval)
	}
}

func FuzzParseHealthDuration(f *testing.F) {
	for _, s := range []string{"30s", "1m30s", "0", "disable", "-1s", "500ms", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseHealthInterval(s)
		if err == nil && d != 0 && d < time.Second {
			t.Fatalf("parseHealthInterval(%q) = %v", s, d)
		}
		if d, err := parseHealthDuration("--health-start-period", s, 0); err == nil && d < 0 {
			t.Fatalf("start period %q = %v", s, d)
		}
	})
}

func TestLogDriverDefault(t *testing.T) {
	oldA, oldD := journalAvailable, defaultLogDriver
	defer func() { journalAvailable, defaultLogDriver = oldA, oldD }()
	journalAvailable = func() error { return nil }
	defaultLogDriver = func() string { return "journald" }
	if lc, err := parseLogFlags("", []string{"tag=web"}); err != nil || lc.driver != "journald" || lc.tag != "web" {
		t.Errorf("default under systemd: %+v, %v", lc, err)
	}
	if lc, err := parseLogFlags("k8s-file", nil); err != nil || lc.driver != "k8s-file" {
		t.Errorf("explicit k8s-file: %+v, %v", lc, err)
	}
	defaultLogDriver = func() string { return "k8s-file" }
	if lc, err := parseLogFlags("", nil); err != nil || lc.driver != "k8s-file" {
		t.Errorf("default elsewhere: %+v, %v", lc, err)
	}
	journalAvailable = func() error { return errors.New("/run/systemd/journal/socket does not exist") }
	if _, err := parseLogFlags("journald", nil); err == nil || !strings.Contains(err.Error(), "socket does not exist") || !strings.Contains(err.Error(), "k8s-file") {
		t.Errorf("journald without the journal: %v", err)
	}
}

func TestParseImageHealthcheck(t *testing.T) {
	for _, tc := range []struct {
		blob string
		want *runtime.HealthConfig
	}{
		{`{"config":{}}`, nil},
		{`{"config":{"Healthcheck":{"Test":["NONE"]}}}`, nil},
		{`{"config":{"Healthcheck":{"Test":["CMD-SHELL","curl -f localhost"],"Interval":5000000000,"Retries":2}}}`,
			&runtime.HealthConfig{Test: []string{"CMD-SHELL", "curl -f localhost"}, Interval: 5 * time.Second, Timeout: 30 * time.Second, Retries: 2}},
		{`{"config":{"Healthcheck":{"Test":["CMD","true"],"StartPeriod":1000000000,"Timeout":2000000000}}}`,
			&runtime.HealthConfig{Test: []string{"CMD", "true"}, Interval: 30 * time.Second, Timeout: 2 * time.Second, StartPeriod: time.Second, Retries: 3}},
		{`{"config":{"Healthcheck":{"Test":["CMD"]}}}`, nil},
	} {
		got, err := parseImageHealthcheck([]byte(tc.blob))
		if err != nil || (got == nil) != (tc.want == nil) || (got != nil && (!slices.Equal(got.Test, tc.want.Test) ||
			got.Interval != tc.want.Interval || got.Timeout != tc.want.Timeout || got.StartPeriod != tc.want.StartPeriod || got.Retries != tc.want.Retries)) {
			t.Errorf("%s: %+v, %v; want %+v", tc.blob, got, err, tc.want)
		}
	}
	if _, err := parseImageHealthcheck([]byte("{")); err == nil {
		t.Error("bad JSON accepted")
	}
	// Flags given override the image's values; defaults do not.
	f := defaultHealthFlags()
	f.healthRetries, f.healthOnFailure = 7, "kill"
	var cfg runtime.Config
	hc := &runtime.HealthConfig{Test: []string{"CMD", "true"}, Interval: 5 * time.Second, Timeout: time.Second, Retries: 2}
	if err := f.overrideHealth(hc, &cfg); err != nil || cfg.Healthcheck.Retries != 7 || cfg.Healthcheck.Interval != 5*time.Second ||
		cfg.Healthcheck.Timeout != time.Second || cfg.Healthcheck.OnFailure != "kill" {
		t.Errorf("override: %+v, %v", cfg.Healthcheck, err)
	}
}
