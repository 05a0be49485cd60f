package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInitStepHasOneP: the init step is started (by Start and Prestart,
// with initEnv) with GOMAXPROCS=1, its work being one thread's; exec's
// step, which is rpod itself, is not.
func TestInitStepHasOneP(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "step")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho \"$1 [$GOMAXPROCS]\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg  string
		env  []string
		want string
	}{{initArg, initEnv, initArg + " [1]"}, {execArg, nil, execArg + " []"}} {
		arg, want := tc.arg, tc.want
		out, err := os.Create(filepath.Join(dir, arg))
		if err != nil {
			t.Fatal(err)
		}
		c, err := spawnChildExe(exe, arg, "test step", tc.env, &syscall.SysProcAttr{}, false, Stdio{Out: out, Err: os.Stderr})
		if err != nil {
			t.Fatal(err)
		}
		c.cmd.Wait()
		c.parent.Close()
		out.Close()
		b, _ := os.ReadFile(out.Name())
		if got := strings.TrimSpace(string(b)); got != want {
			t.Errorf("step %s saw %q, want %q", arg, got, want)
		}
	}
}
