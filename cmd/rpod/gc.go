package main

import (
	"math"
	"os"
	"runtime/debug"
	"time"
)

// Most commands end within a few hundred milliseconds having allocated a
// few MB: collecting that garbage costs them more time (some 4 ms of a
// run --rm, bench/startup) than the memory is worth. The collector is held
// off for startupWindow, bounded by startupHeap, and then runs as usual for
// the commands that stay (a foreground run, logs -f, the monitor).
const (
	startupWindow = 500 * time.Millisecond
	startupHeap   = 64 << 20
)

// startupGC holds the garbage collector off while the command starts,
// unless the user tuned it with GOGC or GOMEMLIMIT.
func startupGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(startupHeap)
	time.AfterFunc(startupWindow, func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}
