package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// The k8s-file log format podman writes, one record a line:
//
//	2024-01-02T15:04:05.123456789Z stdout F the line
//
// F marks a full line, P a part of a longer one that the next record continues.
const logTimeFormat = time.RFC3339Nano

// maxRecordHead is the longest a record's time, stream and tag can be,
// with the separators and the newline.
const maxRecordHead = len("2006-01-02T15:04:05.999999999Z stdout P \n")

// RotatedLogPath is where a log's previous file is kept after a rotation.
func RotatedLogPath(path string) string { return path + ".1" }

// errNoLog is podman's answer to logs of a container that keeps none.
var errNoLog = errors.New("this container is using the 'none' log driver, cannot read logs: this container is not logging output")

// LogWriter appends a container's output to its log file. With a size
// limit, the file is renamed to RotatedLogPath before a record would take
// it past the limit and a new one is started, so at most two files of at
// most the limit each exist and records are never split between files.
type LogWriter struct {
	mu    sync.Mutex
	f     *os.File
	path  string
	max   int64 // 0: never rotate
	size  int64 // of the current file
	chunk int   // longest text of one record, so that a record fits in max
	// journal, when set, takes the records instead of the file (journald.go).
	journal *journalWriter
}

// OpenLog opens (creating) the log file for appending; past maxSize bytes
// (0: never) it is rotated, keeping one previous file. os.DevNull (the
// none driver) keeps nothing.
func OpenLog(path string, maxSize int64) (*LogWriter, error) {
	if path == os.DevNull {
		maxSize = 0 // nothing to rotate
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open container log: %w", err)
	}
	w := &LogWriter{f: f, path: path, chunk: logBufSize}
	if maxSize > 0 {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open container log: %w", err)
		}
		w.max, w.size = maxSize, fi.Size()
		// A limit smaller than a record would leave a file over it: such a
		// line goes out in P records that fit (of one byte at the least).
		w.chunk = max(1, min(logBufSize, int(min(maxSize, 1<<30))-maxRecordHead))
	}
	return w, nil
}

// logBufSize is the longest line part Copy writes as one record.
const logBufSize = 16 << 10

// Copy writes what r yields as records of stream ("stdout" or "stderr")
// until r ends; a line longer than a record may hold goes out as P records.
func (w *LogWriter) Copy(stream string, r io.Reader) {
	br := bufio.NewReaderSize(r, logBufSize)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			full := line[len(line)-1] == '\n'
			if full {
				line = line[:len(line)-1]
			}
			for len(line) > w.chunk {
				w.write(stream, "P", line[:w.chunk])
				line = line[w.chunk:]
			}
			tag := "P"
			if full {
				tag = "F"
			}
			if full || len(line) > 0 {
				w.write(stream, tag, line)
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func (w *LogWriter) write(stream, tag string, line []byte) {
	if w.journal != nil {
		w.journal.send(stream, tag == "P", line)
		return
	}
	var b bytes.Buffer
	b.Grow(maxRecordHead + len(line))
	b.WriteString(time.Now().UTC().Format(logTimeFormat))
	b.WriteByte(' ')
	b.WriteString(stream)
	b.WriteByte(' ')
	b.WriteString(tag)
	b.WriteByte(' ')
	b.Write(line)
	b.WriteByte('\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.max > 0 && w.size > 0 && w.size+int64(b.Len()) > w.max {
		w.rotate()
	}
	n, _ := w.f.Write(b.Bytes())
	w.size += int64(n)
}

// rotate makes the current file the previous one and starts a new one. If
// that cannot be done the file is emptied instead, as conmon does, so that
// the limit holds whatever happens.
func (w *LogWriter) rotate() {
	prev := RotatedLogPath(w.path)
	if err := os.Rename(w.path, prev); err == nil {
		f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o600)
		if err == nil {
			w.f.Close()
			w.f, w.size = f, 0
			return
		}
		os.Rename(prev, w.path)
	}
	w.f.Truncate(0)
	w.size = 0
}

// Close closes the log file.
func (w *LogWriter) Close() error {
	if w.journal != nil {
		return w.journal.close()
	}
	return w.f.Close()
}

// LogRecord is one parsed line of a log file.
type LogRecord struct {
	Time    time.Time
	Stream  string
	Partial bool
	Text    string
}

// ParseLogLine parses one k8s-file record (without its newline).
func ParseLogLine(line string) (LogRecord, error) {
	ts, rest, ok := strings.Cut(line, " ")
	if !ok {
		return LogRecord{}, fmt.Errorf("log line %q: no stream", line)
	}
	t, err := time.Parse(logTimeFormat, ts)
	if err != nil {
		return LogRecord{}, fmt.Errorf("log line %q: bad time: %w", line, err)
	}
	stream, rest, ok := strings.Cut(rest, " ")
	if !ok || (stream != "stdout" && stream != "stderr") {
		return LogRecord{}, fmt.Errorf("log line %q: bad stream", line)
	}
	tag, text, ok := strings.Cut(rest, " ")
	if !ok && rest != "F" && rest != "P" {
		return LogRecord{}, fmt.Errorf("log line %q: no tag", line)
	}
	if !ok {
		tag = rest
	}
	if tag != "F" && tag != "P" {
		return LogRecord{}, fmt.Errorf("log line %q: bad tag %q", line, tag)
	}
	return LogRecord{Time: t, Stream: stream, Partial: tag == "P", Text: text}, nil
}

// LogOptions selects what ReadLog prints.
type LogOptions struct {
	Tail         int // last N lines; negative means all
	Since, Until time.Time
	Timestamps   bool
	// Follow keeps reading while running reports true.
	Follow  bool
	Running func() bool
}

// inWindow reports whether r is within --since and --until.
func (o LogOptions) inWindow(r LogRecord) bool {
	return (o.Since.IsZero() || !r.Time.Before(o.Since)) && (o.Until.IsZero() || !r.Time.After(o.Until))
}

// printer writes a record within --since and --until to stdout or stderr
// by its stream, as rpod logs shows it; it drops the others.
func (o LogOptions) printer(stdout, stderr io.Writer) func(LogRecord) {
	return func(r LogRecord) {
		if !o.inWindow(r) {
			return
		}
		out := stdout
		if r.Stream == "stderr" {
			out = stderr
		}
		if o.Timestamps {
			fmt.Fprintf(out, "%s ", r.Time.Format(logTimeFormat))
		}
		io.WriteString(out, r.Text)
		if !r.Partial {
			io.WriteString(out, "\n")
		}
	}
}

// ReadLog writes the log's records to stdout and stderr by stream: those of
// the rotated previous file, if any, then those of the current one. With
// Follow it keeps up with the writer across rotations.
func ReadLog(path string, o LogOptions, stdout, stderr io.Writer) error {
	if path == os.DevNull {
		return errNoLog
	}
	cur, prev, err := openLogs(path)
	if err != nil {
		return err
	}
	if cur == nil && prev == nil {
		return nil // never started: nothing logged yet
	}
	emit := o.printer(stdout, stderr)
	var recs []LogRecord
	if prev != nil {
		pr := newLogReader(prev)
		recs, err = pr.records()
		prev.Close()
		if err != nil {
			return err
		}
	}
	if cur == nil {
		// Between a rotation's rename and the new file: the writer has gone.
		for _, r := range tail(recs, o.Tail) {
			emit(r)
		}
		return nil
	}
	lr := newLogReader(cur)
	defer func() { lr.f.Close() }()
	more, err := lr.records()
	if err != nil {
		return err
	}
	for _, r := range tail(append(recs, more...), o.Tail) {
		emit(r)
	}
	return follow(o, func() ([]LogRecord, error) { return lr.follow(path) }, emit, 0, 100*time.Millisecond)
}

// follow prints what read returns, every poll, until the container stops.
// Running is checked before each read, so the read after the stop is the
// last and prints whatever was written before it; settle waits before
// that read for a writer that lags behind the container (journald).
func follow(o LogOptions, read func() ([]LogRecord, error), emit func(LogRecord), settle, poll time.Duration) error {
	for o.Follow && o.Running != nil {
		running := o.Running()
		if !running && settle > 0 {
			time.Sleep(settle)
		}
		recs, err := read()
		if err != nil {
			return err
		}
		for _, r := range recs {
			emit(r)
		}
		if !running {
			return nil
		}
		time.Sleep(poll)
	}
	return nil
}

func tail(recs []LogRecord, n int) []LogRecord {
	if n >= 0 && len(recs) > n {
		return recs[len(recs)-n:]
	}
	return recs
}

// openLogs opens the current log and the previous one (either may be nil)
// as a consistent pair: if the writer rotates between the two opens, it
// tries again.
func openLogs(path string) (cur, prev *os.File, err error) {
	for try := 0; ; try++ {
		cur, err = os.Open(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("open container log: %w", err)
		}
		prev, err = os.Open(RotatedLogPath(path))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			closeAll(cur)
			return nil, nil, fmt.Errorf("open container log: %w", err)
		}
		if try >= 20 || samePath(cur, path) {
			return cur, prev, nil
		}
		closeAll(cur, prev)
		time.Sleep(5 * time.Millisecond)
	}
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// samePath reports whether path still names the open file f (nil: no file
// then, and none now).
func samePath(f *os.File, path string) bool {
	fi, err := os.Stat(path)
	if f == nil {
		return errors.Is(err, os.ErrNotExist)
	}
	if err != nil {
		return false
	}
	ofi, err := f.Stat()
	return err == nil && os.SameFile(fi, ofi)
}

// logReader reads whole records, keeping a line not yet ended for later:
// the monitor may be writing it right now.
type logReader struct {
	f       *os.File
	r       *bufio.Reader
	off     int64 // bytes read from f
	pending string
}

func newLogReader(f *os.File) *logReader { return &logReader{f: f, r: bufio.NewReader(f)} }

func (l *logReader) records() ([]LogRecord, error) {
	var out []LogRecord
	for {
		chunk, err := l.r.ReadString('\n')
		l.off += int64(len(chunk))
		l.pending += chunk
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read container log: %w", err)
		}
		if r, perr := ParseLogLine(strings.TrimSuffix(l.pending, "\n")); perr == nil {
			out = append(out, r)
		}
		l.pending = ""
	}
}

// follow returns the records written since the last read. When the writer
// has rotated, it finishes the old file (complete now), reads the previous
// file too if a whole one went by unseen, and goes on with the new one.
func (l *logReader) follow(path string) ([]LogRecord, error) {
	out, err := l.records()
	if err != nil {
		return out, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return out, nil // mid-rotation, or removed: nothing new yet
	}
	ofi, err := l.f.Stat()
	if err != nil {
		return out, fmt.Errorf("read container log: %w", err)
	}
	if os.SameFile(fi, ofi) {
		if ofi.Size() < l.off {
			// Emptied in place (a rotation that could not rename): start over.
			if _, err := l.f.Seek(0, io.SeekStart); err != nil {
				return out, fmt.Errorf("read container log: %w", err)
			}
			l.r.Reset(l.f)
			l.off, l.pending = 0, ""
		}
		return out, nil
	}
	more, err := l.records()
	out = append(out, more...)
	if err != nil {
		return out, err
	}
	if pfi, err := os.Stat(RotatedLogPath(path)); err == nil && !os.SameFile(pfi, ofi) {
		// More than one rotation since the last look: the previous file is unread.
		if pf, err := os.Open(RotatedLogPath(path)); err == nil {
			more, err := newLogReader(pf).records()
			pf.Close()
			out = append(out, more...)
			if err != nil {
				return out, err
			}
		}
	}
	nf, err := os.Open(path)
	if err != nil {
		return out, nil // rotated again meanwhile: the next call catches up
	}
	l.f.Close()
	*l = *newLogReader(nf)
	more, err = l.records()
	return append(out, more...), err
}
