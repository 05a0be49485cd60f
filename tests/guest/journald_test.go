//go:build guest

package guest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// journalReadable reports whether this user can open a journal file: in the
// systemd-journal group, or with a persistent journal split per user.
func journalReadable() bool {
	for _, d := range []string{"/run/log/journal", "/var/log/journal"} {
		m, _ := filepath.Glob(filepath.Join(d, "*", "*.journal"))
		for _, f := range m {
			if fh, err := os.Open(f); err == nil {
				fh.Close()
				return true
			}
		}
	}
	return false
}

// journalEntries are the journal's entries with field=value, as journalctl -o json prints them.
func journalEntries(t *testing.T, match string) []map[string]any {
	t.Helper()
	r := runCmd(os.Environ(), nil, "journalctl", "--no-pager", "-o", "json", match)
	if r.Code != 0 {
		t.Fatalf("journalctl %s: exit %d: %s", match, r.Code, r.Err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(r.Out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("journalctl output %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func messages(es []map[string]any) string {
	var b strings.Builder
	for _, e := range es {
		if s, ok := e["MESSAGE"].(string); ok {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

// TestJournaldLogDriver: the monitor writes each line to the journal with
// podman's fields, and rpod logs reads them back.
func TestJournaldLogDriver(t *testing.T) {
	t.Logf("journal storage: /var/log/journal present: %v; readable: %v; groups: %s", exists("/var/log/journal"),
		journalReadable(), strings.TrimSpace(runCmd(os.Environ(), nil, "id").Out))
	env := newWorld(t)
	name := "jd-" + strings.TrimPrefix(filepath.Base(filepath.Dir(getenv(env, "HOME"))), "world-")
	id := strings.TrimSpace(ok(t, env, "run", "-d", "--name", name, "--log-driver", "journald", "--log-opt", "tag=mytag",
		"busybox", "sh", "-c", "echo out-line; echo err-line >&2; echo last-line"))
	if lt := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.HostConfig.LogConfig.Type}}", name)); lt != "journald" {
		t.Errorf("LogConfig.Type %q, want journald", lt)
	}
	waitUntil(t, "the container to exit", func() bool {
		return strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Status}}", name)) == "exited"
	})
	if !journalReadable() {
		wantError(t, run(env, nil, "logs", name), 125, "systemd-journal group")
		t.Skip("this user cannot read the journal (not in systemd-journal, volatile journal): " +
			"run with --root-setup 'usermod -aG systemd-journal guest' for the rest")
	}
	var es []map[string]any
	waitUntil(t, "the lines in the journal", func() bool {
		es = journalEntries(t, "CONTAINER_NAME="+name)
		return strings.Contains(messages(es), "last-line")
	})
	// stdout and stderr are two pipes: only the order within one is kept.
	if got := messages(es); len(es) != 3 || !strings.Contains(got, "err-line\n") || !strings.Contains(strings.Replace(got, "err-line\n", "", 1), "out-line\nlast-line\n") {
		t.Errorf("journal holds %q", got)
	}
	for _, e := range es {
		want := map[string]string{"CONTAINER_ID_FULL": id, "CONTAINER_ID": id[:12], "SYSLOG_IDENTIFIER": name, "CONTAINER_TAG": "mytag", "PRIORITY": "6"}
		if e["MESSAGE"] == "err-line" {
			want["PRIORITY"] = "3"
		}
		for k, v := range want {
			if e[k] != v {
				t.Errorf("entry %q: %s = %v, want %q", e["MESSAGE"], k, e[k], v)
			}
		}
	}
	r := run(env, nil, "logs", name)
	if r.Code != 0 || r.Out != "out-line\nlast-line\n" || r.Err != "err-line\n" {
		t.Errorf("rpod logs: exit %d, stdout %q, stderr %q", r.Code, r.Out, r.Err)
	}
	// The last entry is either stream's: the two pipes race.
	last := fmt.Sprint(es[len(es)-1]["MESSAGE"]) + "\n"
	if r := run(env, nil, "logs", "--tail", "1", name); r.Code != 0 || r.Out+r.Err != last {
		t.Errorf("logs --tail 1: exit %d, stdout %q, stderr %q, want %q", r.Code, r.Out, r.Err, last)
	}
	if out := ok(t, env, "logs", "-t", name); !strings.Contains(out, "Z out-line\n") {
		t.Errorf("logs -t: %q", out)
	}
	if out := ok(t, env, "logs", "--since", "1h", name); !strings.Contains(out, "out-line") {
		t.Errorf("logs --since 1h: %q", out)
	}
	// -f follows a running container to its end.
	ok(t, env, "run", "-d", "--name", name+"-f", "--log-driver", "journald", "busybox", "sh", "-c",
		"for i in 1 2 3 4 5; do echo tick $i; sleep 0.5; done")
	if out := ok(t, env, "logs", "-f", name+"-f"); out != "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n" {
		t.Errorf("logs -f: %q", out)
	}
}

// TestJournaldDefaultInSystemdUnit: created inside a systemd user unit, a
// container logs to the journal by default; outside one, to its k8s-file log.
// A unit is told by RPOD_SYSTEMD_UNIT (the generated units) or by
// JOURNAL_STREAM naming rpod's own output.
func TestJournaldDefaultInSystemdUnit(t *testing.T) {
	env := newWorld(t)
	base := "jdu-" + strings.TrimPrefix(filepath.Base(filepath.Dir(getenv(env, "HOME"))), "world-")
	for _, v := range []struct{ name, prop string }{
		{base + "-var", "Environment=RPOD_SYSTEMD_UNIT=test.service"},
		{base + "-stream", "StandardOutput=journal"},
	} {
		args := []string{"--user", "--wait", "--collect", "--quiet", "-p", v.prop}
		for _, kv := range env {
			args = append(args, "--setenv="+kv)
		}
		args = append(args, rpodBin, "create", "--name", v.name, "busybox", "echo", "hello-from-"+v.name)
		if r := runCmd(env, nil, "systemd-run", args...); r.Code != 0 {
			t.Fatalf("systemd-run rpod create: exit %d: %s %s", r.Code, r.Out, r.Err)
		}
		if lt := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.HostConfig.LogConfig.Type}}", v.name)); lt != "journald" {
			t.Errorf("%s: created in a unit (%s): log driver %q, want journald", v.name, v.prop, lt)
		}
		ok(t, env, "start", v.name)
	}
	// JOURNAL_STREAM inherited, but not rpod's output: not a unit.
	ok(t, withEnv(env, "JOURNAL_STREAM=8:12345", "INVOCATION_ID=0123456789abcdef"), "create", "--name", base+"-out", "busybox", "true")
	if lt := strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.HostConfig.LogConfig.Type}}", base+"-out")); lt != "k8s-file" {
		t.Errorf("created outside a unit: log driver %q, want k8s-file", lt)
	}
	if !journalReadable() {
		t.Skip("this user cannot read the journal: run with --root-setup 'usermod -aG systemd-journal guest'")
	}
	for _, n := range []string{base + "-var", base + "-stream"} {
		waitUntil(t, "the line in the journal", func() bool {
			return strings.Contains(messages(journalEntries(t, "CONTAINER_NAME="+n)), "hello-from-"+n)
		})
		waitUntil(t, "rpod logs", func() bool { return ok(t, env, "logs", n) == "hello-from-"+n+"\n" })
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
