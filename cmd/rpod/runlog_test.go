package main

import (
	"strings"
	"testing"
)

func TestParseLogSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"8192", 8192, false},
		{"10b", 10, false},
		{"10B", 10, false},
		{"1k", 1000, false},
		{"1kb", 1000, false},
		{"1.5k", 1500, false},
		{"10m", 10_000_000, false},
		{"10mb", 10_000_000, false},
		{"10MB", 10_000_000, false},
		{"2g", 2_000_000_000, false},
		{"2gb", 2_000_000_000, false},
		{"1KiB", 1024, false},
		{"10mib", 10 << 20, false},
		{"1gib", 1 << 30, false},
		{" 5k ", 5000, false},
		{"0", 0, false},
		{"-1", -1, false},
		{"", 0, true},
		{"abc", 0, true},
		{"mb", 0, true},
		{"-2", 0, true},
		{"-1k", 0, true},
		{"1.2.3k", 0, true},
		{".5k", 0, true},
		{"10xb", 0, true},
		{"1e3", 0, true},
		{"10 t", 0, true},
		{"99999999999gb", 0, true},
	} {
		got, err := parseLogSize(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("parseLogSize(%q): err %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if got != tc.want {
			t.Errorf("parseLogSize(%q) = %d, want %d", tc.in, got, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "max-size") {
			t.Errorf("parseLogSize(%q): error %q does not name the option", tc.in, err)
		}
	}
}

func FuzzParseLogSize(f *testing.F) {
	for _, s := range []string{"10mb", "1.5k", "-1", "8192", "1GiB", "abc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseLogSize(s)
		if err == nil && n < -1 {
			t.Errorf("parseLogSize(%q) = %d", s, n)
		}
		if err == nil && n == -1 && strings.TrimSpace(s) != "-1" {
			t.Errorf("parseLogSize(%q) = -1", s)
		}
	})
}

func TestParseLogFlags(t *testing.T) {
	for _, tc := range []struct {
		driver string
		opts   []string
		want   logConfig
		err    string
	}{
		{"k8s-file", nil, logConfig{driver: "k8s-file"}, ""},
		{"json-file", []string{"max-size=10mb"}, logConfig{driver: "k8s-file", maxSize: 10_000_000}, ""},
		{"k8s-file", []string{"MAX-SIZE=1k", "tag={{.Name}}"}, logConfig{driver: "k8s-file", maxSize: 1000}, ""},
		{"k8s-file", []string{"max-size=-1"}, logConfig{driver: "k8s-file"}, ""},
		{"k8s-file", []string{"max-size=1k", "max-size=0"}, logConfig{driver: "k8s-file"}, ""},
		{"none", nil, logConfig{driver: "none"}, ""},
		{"syslog", nil, logConfig{}, `invalid log driver "syslog"`},
		{"journald", nil, logConfig{}, "no journald driver"},
		{"passthrough", nil, logConfig{}, "passthrough is not supported"},
		{"k8s-file", []string{"max-size=abc"}, logConfig{}, `invalid --log-opt max-size "abc"`},
		{"k8s-file", []string{"max-size"}, logConfig{}, `invalid log option "max-size"`},
		{"k8s-file", []string{"path=/tmp/x.log"}, logConfig{driver: "k8s-file", path: "/tmp/x.log"}, ""},
		{"k8s-file", []string{"path=x.log"}, logConfig{}, "must be absolute"},
		{"k8s-file", []string{"path=/nonexistent/x.log"}, logConfig{}, "does not exist"},
		{"k8s-file", []string{"foo="}, logConfig{}, "the value is empty"},
	} {
		got, err := parseLogFlags(tc.driver, tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %v: err %v, want %q", tc.driver, tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || got.driver != tc.want.driver || got.maxSize != tc.want.maxSize || len(got.warnings) != 0 {
			t.Errorf("%s %v = %+v, %v; want %+v", tc.driver, tc.opts, got, err, tc.want)
		}
	}
	if lc, err := parseLogFlags("k8s-file", []string{"max-file=3"}); err != nil || len(lc.warnings) != 1 {
		t.Errorf("unknown option: %+v, %v; want one warning", lc, err)
	}
}
