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

// LogWriter appends a container's output to its log file.
type LogWriter struct {
	mu sync.Mutex
	f  *os.File
}

// OpenLog opens (creating) the log file for appending; past maxSize bytes
// (0: never) it is rotated.
func OpenLog(path string, maxSize int64) (*LogWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open container log: %w", err)
	}
	return &LogWriter{f: f}, nil
}

// Copy writes what r yields as records of stream ("stdout" or "stderr")
// until r ends; a line longer than the buffer goes out as P records.
func (w *LogWriter) Copy(stream string, r io.Reader) {
	br := bufio.NewReaderSize(r, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			full := line[len(line)-1] == '\n'
			tag := "P"
			if full {
				tag, line = "F", line[:len(line)-1]
			}
			w.write(stream, tag, line)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func (w *LogWriter) write(stream, tag string, line []byte) {
	var b bytes.Buffer
	b.WriteString(time.Now().UTC().Format(logTimeFormat))
	b.WriteByte(' ')
	b.WriteString(stream)
	b.WriteByte(' ')
	b.WriteString(tag)
	b.WriteByte(' ')
	b.Write(line)
	b.WriteByte('\n')
	w.mu.Lock()
	w.f.Write(b.Bytes())
	w.mu.Unlock()
}

// Close closes the log file.
func (w *LogWriter) Close() error { return w.f.Close() }

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

// ReadLog writes the log's records to stdout and stderr by stream.
func ReadLog(path string, o LogOptions, stdout, stderr io.Writer) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // never started: nothing logged yet
	}
	if err != nil {
		return fmt.Errorf("open container log: %w", err)
	}
	defer f.Close()
	emit := func(r LogRecord) {
		if (!o.Since.IsZero() && r.Time.Before(o.Since)) || (!o.Until.IsZero() && r.Time.After(o.Until)) {
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
	lr := &logReader{r: bufio.NewReader(f)}
	recs, err := lr.records()
	if err != nil {
		return err
	}
	if o.Tail >= 0 && len(recs) > o.Tail {
		recs = recs[len(recs)-o.Tail:]
	}
	for _, r := range recs {
		emit(r)
	}
	for o.Follow && o.Running != nil {
		running := o.Running()
		recs, err := lr.records()
		if err != nil {
			return err
		}
		for _, r := range recs {
			emit(r)
		}
		// Checked before the last read: whatever was written before the
		// container stopped has been printed.
		if !running {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// logReader reads whole records, keeping a line not yet ended for later:
// the monitor may be writing it right now.
type logReader struct {
	r       *bufio.Reader
	pending string
}

func (l *logReader) records() ([]LogRecord, error) {
	var out []LogRecord
	for {
		chunk, err := l.r.ReadString('\n')
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
