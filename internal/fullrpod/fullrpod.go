// Package fullrpod runs the full rpod that a light build carries after its
// own program (runtime/initbin): in place of this process for a whole
// command, or as a child for one transfer call. A light build leaves out
// containers/image's transfer code (pull, push, save, load, ...), which
// every start would otherwise load and initialise: some 4 ms of each run
// (bench/README.md, session 12).
package fullrpod

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/rpod/rpod/runtime/initbin"
)

// memfd is a sealed memfd holding the full rpod followed by the init step's
// part, which it finds as a plain make build finds its own.
func memfd() (int, error) {
	self, err := os.Executable()
	if err != nil {
		return -1, fmt.Errorf("find rpod executable: %w", err)
	}
	f, prog, init, ok := initbin.FindFull(self)
	if !ok {
		return -1, errors.New("this light rpod carries no full rpod: rebuild it with make build")
	}
	defer f.Close()
	fd, err := initbin.Memfd("rpod-full", f, prog, init)
	if err != nil {
		return -1, fmt.Errorf("copy the full rpod into memory: %w", err)
	}
	return fd, nil
}

// Exec replaces this process with the full rpod, with the same arguments
// and environment, for a command a light build does not have. It returns
// only on failure.
func Exec() error {
	fd, err := memfd()
	if err != nil {
		return err
	}
	err = syscall.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), os.Args, os.Environ())
	syscall.Close(fd)
	return fmt.Errorf("run the full rpod: %w", err)
}

// Command is the full rpod run as a child with args, killed if ctx is
// done or this process dies; done releases its memfd once it has ended.
func Command(ctx context.Context, args ...string) (cmd *exec.Cmd, done func(), err error) {
	fd, err := memfd()
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fd), "rpod-full")
	// The child's fd 3, where its exec finds the program.
	cmd = exec.CommandContext(ctx, "/proc/self/fd/3", args...)
	cmd.Args[0] = "rpod"
	cmd.ExtraFiles = []*os.File{f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd, func() { f.Close() }, nil
}
