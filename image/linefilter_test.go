package image

import (
	"fmt"
	"io"
	"sync"
	"testing"
)

// TestLineFilterConcurrentWrites: containers/image prints from every
// layer's goroutine at once; the filter must keep its buffer whole.
func TestLineFilterConcurrentWrites(t *testing.T) {
	p := &progress{lines: make(chan string), finished: make(chan struct{}), w: io.Discard}
	close(p.finished) // no reader: lines go straight to w
	f := &lineFilter{p: p}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				fmt.Fprintf(f, "Getting image source signatures %d %d\n", g, i)
				fmt.Fprintf(f, "Copying blob sha256:%d\n", i)
			}
		})
	}
	wg.Wait()
	if len(f.buf) != 0 {
		t.Errorf("left %q in the buffer", f.buf)
	}
}
