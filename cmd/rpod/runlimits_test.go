package main

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  string
	}{
		{in: "64m", want: 64 << 20}, {in: "1g", want: 1 << 30}, {in: "512kb", want: 512 << 10},
		{in: "512KB", want: 512 << 10}, {in: "100", want: 100}, {in: "100b", want: 100},
		{in: "1.5g", want: 3 << 29}, {in: "2M", want: 2 << 20}, {in: "1mb", want: 1 << 20},
		{in: "", err: "use a number"}, {in: "m", err: "use a number"}, {in: "12x", err: "use a number"},
		{in: "1t", err: "use a number"}, {in: "-1m", err: "use a number"}, {in: "1..2m", err: "use a number"},
		{in: ".5m", err: "use a number"}, {in: "1.m", err: "use a number"}, {in: "1 m", err: "use a number"},
		{in: "0", err: "greater than 0"}, {in: "0.1b", err: "greater than 0"},
		{in: "99999999999g", err: "too large"},
	} {
		got, err := parseSize(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseSize(%q) = %d, %v; want error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64m", "1g", "512kb", "1.5G", "0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseSize(s); err == nil && n <= 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}

func TestParseUlimits(t *testing.T) {
	us, err := parseUlimits([]string{"nofile=10:20", "core=0", "nofile=5:6"})
	if err != nil || len(us) != 2 || us[0].Soft != 5 || us[0].Hard != 6 || us[1].Name != "core" {
		t.Errorf("later wins: %+v %v", us, err)
	}
	if us, err := parseUlimits([]string{"nofile=10", "host"}); err != nil || us != nil {
		t.Errorf("host: %+v %v", us, err)
	}
	if _, err := parseUlimits([]string{"nofile=1:-1"}); err == nil || !strings.Contains(err.Error(), "your maximum") {
		t.Errorf("unlimited hard: %v", err)
	}
}
