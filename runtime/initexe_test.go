package runtime

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rpod/rpod/runtime/initbin"
)

// TestAppendedInitRuns: a program appended to an executable as make build
// appends the init step runs from the sealed memfd rpod copies it into.
func TestAppendedInitRuns(t *testing.T) {
	prog, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip(err)
	}
	old := initbin.Stamp
	initbin.Stamp = "test-stamp"
	defer func() { initbin.Stamp = old }()
	exe := filepath.Join(t.TempDir(), "rpod")
	b := append([]byte("the rpod program"), prog...)
	b = append(b, initbin.Stamp+initbin.Footer(int64(len(prog)), initbin.Stamp)...)
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := appendedInit(exe)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "init")
	defer f.Close()
	if err := exec.Command("/proc/self/fd/" + strconv.Itoa(fd)).Run(); err != nil {
		t.Fatalf("run from memfd: %v", err)
	}
	if _, err := f.WriteAt([]byte{0}, 0); err == nil {
		t.Error("wrote to a sealed memfd")
	}
}

// TestChildExeWithoutInit: a test binary carries no appended init: rpod itself runs the step.
func TestChildExeWithoutInit(t *testing.T) {
	exe, embedded, done, err := childExe(initArg)
	if err != nil {
		t.Fatal(err)
	}
	done()
	self, _ := os.Executable()
	if embedded || exe != self {
		t.Errorf("childExe = %q, %v; want %q", exe, embedded, self)
	}
}
