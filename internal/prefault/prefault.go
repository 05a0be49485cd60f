// Package prefault maps in, a few system calls at a time, the Go heap a
// command is about to use, instead of one page fault per page.
//
// A page fault costs 10-20 us on a virtual machine that shadows the guest's
// page tables (bench/README.md, session 9), and a `run` touches some 800
// heap pages; populating them ahead takes under 1 us a page. Importing the
// package populates startupHeap bytes before the other packages' inits
// allocate, since its init runs first: it imports nothing but the runtime's
// own packages and syscall. Pages the command would not have touched (the
// unused ends of large objects) count in its resident size: startupHeap is
// kept to what the process's first allocations fill.
package prefault

import (
	"syscall"
	"unsafe"
)

const (
	// madvPopulateWrite (Linux 5.14) faults pages in writable, as a store would.
	madvPopulateWrite = 23

	// step bounds each madvise: the heap is mapped 4 MiB at a time, and a
	// call that reaches past the mapping fails; the steps before it stay done.
	step = 512 << 10

	// pageSize is the kernel's; the runtime's own pages are 8 KiB.
	pageSize = 4096

	// startupHeap is about what any rpod process allocates before its
	// command runs: the package inits alone take 1.5 MB.
	startupHeap = 2 << 20
)

// SkipEnv, set in a process's environment, leaves its heap as it is: for a
// process that stays (a container's monitor), resident memory counts more
// than a few ms of start. userns's constructor reads it too, for the
// executable's data.
const SkipEnv = "_RPOD_NO_PREFAULT"

// frontier keeps the allocation that marks where the heap grows next.
var frontier *[40 << 10]byte

func init() {
	if _, skip := syscall.Getenv(SkipEnv); !skip {
		populate(startupHeap)
	}
}

// populate populates up to n bytes of the heap above its current frontier,
// as far as the runtime has mapped it; an older kernel leaves it undone.
func populate(n uintptr) {
	// A large object gets a span of its own from the lowest free pages: with
	// nothing freed yet, everything the command allocates next lies above it.
	// Fresh from the kernel, it is not zeroed, and it is not populated: it
	// costs no page itself.
	frontier = new([40 << 10]byte)
	a := uintptr(unsafe.Pointer(frontier)) + uintptr(len(frontier))
	for end := a + n; a < end; a += step {
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, a, min(step, end-a), madvPopulateWrite); e != 0 {
			return
		}
	}
}
