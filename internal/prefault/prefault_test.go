package prefault

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// chunk is how much heap the runtime maps at a time, aligned.
const chunk = 4 << 20

var probe *[64 << 10]byte

func TestHeapPopulatesAboveTheFrontier(t *testing.T) {
	populate(1 << 20)
	front := uintptr(unsafe.Pointer(frontier))
	// The next large object lies just above the frontier, untouched by Go.
	probe = new([64 << 10]byte)
	p := uintptr(unsafe.Pointer(probe))
	if p < front || p+uintptr(len(probe)) > front+1<<20 || p/chunk != front/chunk {
		t.Skipf("probe at %#x, frontier at %#x: not in one mapped chunk", p, front)
	}
	vec := make([]byte, len(probe)/pageSize)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, p, uintptr(len(probe)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatalf("mincore: %v", e)
	}
	for i, v := range vec {
		if v&1 == 0 {
			t.Fatalf("page %d of the probe is not resident: the heap was not populated", i)
		}
	}
}

func TestHeapAnySize(t *testing.T) {
	for _, n := range []uintptr{0, 1, pageSize + 1, step - 1, step + 1, 64 << 20} {
		populate(n)
	}
}
