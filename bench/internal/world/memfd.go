package world

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MemfdSet sums the memfd files processes hold open, each file once. A
// memfd's pages are memory (shmem) that no smaps line of the process shows
// unless it maps them, so PSS alone misses a program that keeps, say, a
// copy of an executable in one.
type MemfdSet struct {
	seen map[[2]uint64]bool
	KiB  int64
}

// Add counts the memfds pid holds open that were not counted yet.
func (s *MemfdSet) Add(pid int) {
	if s.seen == nil {
		s.seen = map[[2]uint64]bool{}
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		target, err := os.Readlink(p)
		if err != nil || !strings.HasPrefix(target, "/memfd:") {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			continue
		}
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if s.seen[key] {
			continue
		}
		s.seen[key] = true
		s.KiB += st.Blocks * 512 / 1024 // allocated, not apparent, size
	}
}
