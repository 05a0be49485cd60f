package proc

import (
	"os"
	"os/exec"
	"testing"
)

func TestStartTime(t *testing.T) {
	st, err := StartTime(os.Getpid())
	if err != nil || st == 0 {
		t.Fatalf("own start time: %d %v", st, err)
	}
	if !Alive(os.Getpid(), st) || !Alive(os.Getpid(), 0) {
		t.Errorf("this process is not alive")
	}
	if Alive(os.Getpid(), st+1) {
		t.Errorf("a different start time matched")
	}
	// An exited but unreaped child is a zombie: gone.
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	for i := 0; i < 200 && Alive(pid, 0); i++ {
		exec.Command("sleep", "0.01").Run()
	}
	if Alive(pid, 0) {
		t.Errorf("zombie %d reported alive", pid)
	}
	cmd.Wait()
	if Alive(pid, 0) {
		t.Errorf("reaped process %d reported alive", pid)
	}
}
