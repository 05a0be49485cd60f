package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStorageErrorOneLine: containers/storage logs through logrus before it
// returns an error; rpod prints only its own Error line, and the library's
// log with --log-level=debug. The failure: an incomplete layer (an
// interrupted pull's) that the store cannot delete, on a read-only mount.
func TestStorageErrorOneLine(t *testing.T) {
	env := newWorld(t)
	info := strings.Fields(ok(t, env, "info", "--format", "{{.Store.GraphDriverName}} {{.Store.GraphRoot}}"))
	if len(info) != 2 {
		t.Fatalf("info: %q", info)
	}
	driver, graph := info[0], info[1]
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dir := filepath.Join(graph, driver, id)
	if driver == "vfs" {
		dir = filepath.Join(graph, "vfs", "dir", id)
	}
	if err := os.MkdirAll(filepath.Join(graph, driver+"-layers"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(graph, driver+"-layers", "layers.json"),
		`[{"id":"`+id+`","created":"2026-01-01T00:00:00Z","flags":{"incomplete":true}}]`)
	// A read-only mount in rpod's namespace: the layer can be neither moved nor removed.
	ok(t, env, "unshare", "sh", "-c", "mkdir -p "+dir+" && mount -t tmpfs -o size=64k none "+dir+" && mount -o remount,ro "+dir)
	t.Cleanup(func() { run(env, nil, "unshare", "umount", dir) })

	r := run(env, nil, "images")
	line := errorLine(t, r, 125)
	if !strings.Contains(line, id) {
		t.Errorf("error line %q does not name the layer", line)
	}
	if lines := strings.Split(strings.TrimSpace(r.Err), "\n"); len(lines) != 1 {
		t.Errorf("stderr has %d lines, want only rpod's Error line:\n%s", len(lines), r.Err)
	}
	// Asked for, the library's own log shows.
	r = run(env, nil, "--log-level=debug", "images")
	if r.Code != 125 || !strings.Contains(r.Err, "incomplete layer") {
		t.Errorf("--log-level=debug: exit %d, want the library's log too:\n%s", r.Code, r.Err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the layer directory: %v", err)
	}
}
