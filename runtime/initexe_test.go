package runtime

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// TestWriteSealedRuns: a program put in a sealed memfd runs from its
// /proc/self/fd path, as the embedded init step does, and cannot be changed.
func TestWriteSealedRuns(t *testing.T) {
	b, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip(err)
	}
	fd, err := writeSealed("true", b)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "true")
	defer f.Close()
	if err := exec.Command("/proc/self/fd/" + strconv.Itoa(fd)).Run(); err != nil {
		t.Fatalf("run from memfd: %v", err)
	}
	if _, err := f.WriteAt([]byte{0}, 0); err == nil {
		t.Error("wrote to a sealed memfd")
	}
}

// TestChildExeWithoutStamp: a build without make's stamp runs rpod itself.
func TestChildExeWithoutStamp(t *testing.T) {
	exe, embedded, err := childExe(initArg)
	if err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	if embedded || exe != self {
		t.Errorf("childExe = %q, %v; want %q (no stamp in a test binary)", exe, embedded, self)
	}
}
