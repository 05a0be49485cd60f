//go:build !rpodlight

package image

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/types"
	"golang.org/x/term"
)

// ttyInterval is how often bars are redrawn (and c/image reports reads) on a terminal.
const ttyInterval = 150 * time.Millisecond

// CopyOptions returns copy.Options reporting progress on w (nil: quiet), as pull and push do; call done once copy.Image has returned.
//
// On a terminal each blob gets a bar with bytes, rate and ETA; elsewhere one
// line when a blob starts and one when it is done. containers/image's own
// lines other than "Copying blob/config" (signatures, "Writing manifest") pass through.
func CopyOptions(w io.Writer) (opts *copy.Options, done func()) {
	if w == nil {
		return &copy.Options{}, func() {}
	}
	p := &progress{w: w, events: make(chan types.ProgressProperties), lines: make(chan string), finished: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			p.width = cols
		}
	}
	interval := ttyInterval
	if !p.tty {
		interval = time.Hour // only NewArtifact, Done and Skipped are printed
	}
	go p.loop()
	opts = &copy.Options{ReportWriter: &lineFilter{p: p}, Progress: p.events, ProgressInterval: interval}
	return opts, func() {
		close(p.events)
		<-p.finished
	}
}

// progress renders copy events and c/image's own lines. One goroutine
// handles both, in the order c/image sent them: both channels are unbuffered,
// so an event is taken before c/image goes on to write its next line.
type progress struct {
	w        io.Writer
	tty      bool
	width    int
	bars     []*blobBar
	drawn    int // bar lines on screen below the last log line
	events   chan types.ProgressProperties
	lines    chan string
	finished chan struct{}
}

type blobState int

const (
	copying blobState = iota
	finished
	skipped
)

// blobBar is one blob being copied.
type blobBar struct {
	kind   string // "blob" or "config"
	digest string // sha256:abc123def456
	total  int64  // -1 when unknown
	cur    int64
	start  time.Time
	state  blobState
}

func (p *progress) loop() {
	defer close(p.finished)
	var tick <-chan time.Time
	if p.tty {
		t := time.NewTicker(ttyInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				if p.tty {
					p.redraw()
				}
				return
			}
			p.handle(ev)
		case l := <-p.lines:
			p.log(l)
		case <-tick:
			p.redraw()
		}
	}
}

func (p *progress) handle(ev types.ProgressProperties) {
	b := p.find(ev.Artifact)
	switch ev.Event {
	case types.ProgressEventNewArtifact:
		if b == nil {
			b = &blobBar{kind: artifactKind(ev.Artifact), digest: shortDigest(ev.Artifact), total: ev.Artifact.Size, start: time.Now()}
			p.bars = append(p.bars, b)
		}
		if !p.tty {
			fmt.Fprintf(p.w, "Copying %s %s\n", b.kind, b.digest)
		}
	case types.ProgressEventRead:
		if b != nil {
			b.cur = int64(ev.Offset)
		}
	case types.ProgressEventDone:
		if b == nil {
			return
		}
		b.cur, b.state = int64(ev.Offset), finished
		if b.cur <= 0 && b.total > 0 {
			b.cur = b.total
		}
		if !p.tty {
			fmt.Fprintln(p.w, b.line(0))
		}
	case types.ProgressEventSkipped:
		if b == nil {
			b = &blobBar{kind: artifactKind(ev.Artifact), digest: shortDigest(ev.Artifact), total: ev.Artifact.Size}
			p.bars = append(p.bars, b)
		}
		b.state = skipped
		if !p.tty {
			fmt.Fprintln(p.w, b.line(0))
		}
	}
}

func (p *progress) find(a types.BlobInfo) *blobBar {
	d := shortDigest(a)
	for _, b := range p.bars {
		if b.digest == d && b.state == copying {
			return b
		}
	}
	return nil
}

// log prints one of c/image's own lines above the bars.
func (p *progress) log(line string) {
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "%s\n", line)
	p.redraw()
}

// clear moves to the first bar line and erases the bars.
func (p *progress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn)
	}
	fmt.Fprint(p.w, "\r\x1b[J")
	p.drawn = 0
}

// redraw draws every bar again in place; lines are cut to the terminal's
// width, since a wrapped line would break the cursor arithmetic.
func (p *progress) redraw() {
	var buf bytes.Buffer
	if p.drawn > 0 {
		fmt.Fprintf(&buf, "\x1b[%dA", p.drawn)
	}
	now := time.Now()
	for _, b := range p.bars {
		l := b.line(now.Sub(b.start))
		if p.width > 1 && len(l) > p.width-1 {
			l = l[:p.width-1]
		}
		buf.WriteString("\r" + l + "\x1b[K\n")
	}
	p.drawn = len(p.bars)
	p.w.Write(buf.Bytes())
}

// line is the blob's state: a bar with bytes, rate and ETA while copying
// (elapsed > 0, terminals only), else podman's done/skipped wording.
func (b *blobBar) line(elapsed time.Duration) string {
	prefix := fmt.Sprintf("Copying %s %s", b.kind, b.digest)
	switch b.state {
	case finished:
		return fmt.Sprintf("%s done  %s", prefix, FormatBytes(b.cur))
	case skipped:
		return prefix + " skipped: already exists"
	}
	var rate float64
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(b.cur) / s
	}
	if b.total <= 0 {
		return fmt.Sprintf("%s %s | %s/s", prefix, FormatBytes(b.cur), FormatBytes(int64(rate)))
	}
	const width = 30
	filled := int(float64(width) * float64(min(b.cur, b.total)) / float64(b.total))
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	eta := "--"
	if rate > 0 {
		eta = (time.Duration(float64(b.total-b.cur) / rate * float64(time.Second))).Round(time.Second).String()
	}
	return fmt.Sprintf("%s [%s] %s / %s | %s/s | ETA %s", prefix, bar, FormatBytes(b.cur), FormatBytes(b.total), FormatBytes(int64(rate)), eta)
}

// FormatBytes writes n in binary units as podman does: 512B, 3.4MiB.
func FormatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", max(n, 0))
	}
	v := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= 1024
		if v < 1024 || u == "TiB" {
			return fmt.Sprintf("%.1f%s", v, u)
		}
	}
	return ""
}

func artifactKind(a types.BlobInfo) string {
	if strings.Contains(a.MediaType, "config") {
		return "config"
	}
	return "blob"
}

// shortDigest is algorithm:first 12 hex digits, the column podman prints.
func shortDigest(a types.BlobInfo) string {
	s := a.Digest.String()
	if i := strings.IndexByte(s, ':'); i >= 0 && len(s) > i+1+12 {
		return s[:i+1+12]
	}
	return s
}

// lineFilter hands c/image's report lines to progress, dropping its
// "Copying blob/config" lines, which progress prints in its own form.
type lineFilter struct {
	p   *progress
	mu  sync.Mutex // containers/image prints from each layer's goroutine
	buf []byte
}

func (f *lineFilter) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, b...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(f.buf[:i])
		f.buf = f.buf[i+1:]
		if strings.HasPrefix(line, "Copying blob ") || strings.HasPrefix(line, "Copying config ") {
			continue
		}
		select {
		case f.p.lines <- line:
		case <-f.p.finished: // after done: nothing left to order against
			fmt.Fprintln(f.p.w, line)
		}
	}
}
