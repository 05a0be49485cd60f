package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// silentRegistry accepts connections and never answers: a pull from it
// hangs until it is interrupted. accepted has a value once one is open.
func silentRegistry(t *testing.T) (addr, conf string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{}, 1)
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for _, c := range held {
			c.Close()
		}
	})
	addr = ln.Addr().String()
	return addr, insecureRegistryConf(t, addr), got
}

// A ^C while run pulls its image stops rpod, as it stops podman: rpod
// catches the signals it forwards to the container only once the image is
// in the store (its init step is started before, while the image is found).
func TestRunInterruptedDuringPull(t *testing.T) {
	for _, flags := range [][]string{{"--rm"}, {"--rm", "--network", "none"}, {"--name", "kept"}} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			addr, conf, accepted := silentRegistry(t)
			env := newWorld(t, "CONTAINERS_REGISTRIES_CONF="+conf)
			args := append(append([]string{"run"}, flags...), addr+"/busybox", "true")
			cmd := exec.Command(rpodBin, args...)
			cmd.Env = env
			// A file, not a pipe: Wait must not wait for a process rpod left.
			stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
			if err != nil {
				t.Fatal(err)
			}
			defer stderr.Close()
			cmd.Stderr = stderr
			// Its own group, all of it killed if the test gives up.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			giveUp := func(why string) {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
				b, _ := os.ReadFile(stderr.Name())
				t.Fatalf("rpod %s: %s\n%s", strings.Join(args, " "), why, b)
			}
			select {
			case <-accepted:
			case <-done:
				giveUp("ended before its pull")
			case <-time.After(60 * time.Second):
				giveUp("never reached the registry")
			}
			cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				giveUp("SIGINT during the pull did not stop it")
			}
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !(ws.Signaled() && ws.Signal() == syscall.SIGINT) && ws.ExitStatus() != 130 {
				b, _ := os.ReadFile(stderr.Name())
				t.Errorf("rpod %s after SIGINT: %v, want killed by SIGINT or exit 130\n%s", strings.Join(args, " "), cmd.ProcessState, b)
			}
			if out := ok(t, env, "ps", "-aq"); out != "" {
				t.Errorf("an interrupted run left containers:\n%s", out)
			}
			if out := ok(t, env, "images", "-q"); out != "" {
				t.Errorf("an interrupted run left images:\n%s", out)
			}
		})
	}
}
