package main

import (
	"strings"
	"testing"
)

// FuzzParseTime: --since/--until of logs and events never panic.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "10m", "1h30m", "2024-01-02T15:04:05Z", "2024-01-02T15:04:05.123456789+02:00", "-5s", "9999999999h", "yesterday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { parseTime(s) })
}

// FuzzParsePrivatePort: `rpod port CTR PORT[/PROTO]` accepts only 1-65535 and tcp/udp.
func FuzzParsePrivatePort(f *testing.F) {
	for _, s := range []string{"80", "80/tcp", "53/udp", "0", "65536", "80/sctp", "/tcp", "+80", "080"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parsePrivatePort(s)
		if err == nil && (m.ContainerPort == 0 || (m.Protocol != "tcp" && m.Protocol != "udp")) {
			t.Fatalf("%q accepted as %+v", s, m)
		}
	})
}

// FuzzParseKVLines: --label-file and --annotation files give K=V entries
// with a non-empty key, never a comment or a blank line.
func FuzzParseKVLines(f *testing.F) {
	for _, s := range []string{"a=b\n# c\n\n  d=e f\r\n", "=x\n", "noval\n", "k=\n", strings.Repeat("x", 70000) + "=1\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kvs, err := parseKVLines(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, kv := range kvs {
			if kv == "" || strings.HasPrefix(kv, "=") || strings.HasPrefix(kv, "#") {
				t.Fatalf("%q gave the entry %q", s, kv)
			}
		}
	})
}

// FuzzParseFormat: a --format template is parsed or refused, never a panic.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"json", "table {{.ID}}\t{{.Repository}}", "{{.Names}}\\n", "{{", "{{json .}}", "table", "{{range .}}{{end}}", "{{template \"x\"}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { parseFormat(s) })
}
