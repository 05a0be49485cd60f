package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rpod/rpod/bench/internal/world"
)

// sysCount is what one run under `strace -f -c` made: system calls in all
// and openat calls, over the whole process tree. Unlike a wall time it does
// not depend on the machine's load, so it shows growth with N plainly.
type sysCount struct {
	total, openat int
}

// countSyscalls runs argv once, untimed, under strace -f -c.
func countSyscalls(ctx context.Context, w *world.World, strace string, argv []string) (sysCount, error) {
	f, err := os.CreateTemp(w.Dir, "strace-")
	if err != nil {
		return sysCount{}, err
	}
	f.Close()
	defer os.Remove(f.Name())
	ctx, cancel := context.WithTimeout(ctx, world.RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, strace, append([]string{"-f", "-c", "-o", f.Name()}, argv...)...)
	errFile, done, err := w.Prepare(cmd)
	if err != nil {
		return sysCount{}, err
	}
	defer done()
	if err := cmd.Run(); err != nil {
		return sysCount{}, world.RunError(err, errFile)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return sysCount{}, err
	}
	return parseStraceSummary(string(data))
}

// parseStraceSummary reads the calls column of the openat and total lines of
// strace -c's table ("% time seconds usecs/call calls [errors] syscall").
func parseStraceSummary(s string) (sysCount, error) {
	var c sysCount
	found := false
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		calls, err := strconv.Atoi(f[3])
		if err != nil {
			continue
		}
		switch f[len(f)-1] {
		case "total":
			c.total, found = calls, true
		case "openat":
			c.openat = calls
		}
	}
	if !found {
		return c, fmt.Errorf("strace -c printed no total line: %s", world.Tail(s, 300))
	}
	return c, nil
}
