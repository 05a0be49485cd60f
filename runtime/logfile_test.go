package runtime

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseLogLine(t *testing.T) {
	for _, tc := range []struct {
		line    string
		want    LogRecord
		wantErr bool
	}{
		{"2024-01-02T15:04:05.123456789Z stdout F hello world", LogRecord{Stream: "stdout", Text: "hello world"}, false},
		{"2024-01-02T15:04:05Z stderr P part", LogRecord{Stream: "stderr", Partial: true, Text: "part"}, false},
		{"2024-01-02T15:04:05Z stdout F ", LogRecord{Stream: "stdout"}, false},
		{"2024-01-02T15:04:05Z stdout F", LogRecord{Stream: "stdout"}, false},
		{"2024-01-02T15:04:05Z stdout F  two spaces", LogRecord{Stream: "stdout", Text: " two spaces"}, false},
		{"garbage", LogRecord{}, true},
		{"2024-01-02T15:04:05Z stdin F x", LogRecord{}, true},
		{"2024-01-02T15:04:05Z stdout X x", LogRecord{}, true},
		{"yesterday stdout F x", LogRecord{}, true},
	} {
		got, err := ParseLogLine(tc.line)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v", tc.line, err)
			continue
		}
		got.Time = time.Time{}
		if !tc.wantErr && got != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.line, got, tc.want)
		}
	}
}

func FuzzParseLogLine(f *testing.F) {
	f.Add("2024-01-02T15:04:05.123456789Z stdout F hello")
	f.Add("2024-01-02T15:04:05Z stderr P ")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseLogLine(line)
		if err == nil && r.Stream != "stdout" && r.Stream != "stderr" {
			t.Errorf("%q parsed to stream %q", line, r.Stream)
		}
	})
}

func TestLogRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctr.log")
	w, err := OpenLog(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 40<<10)
	w.Copy("stdout", strings.NewReader("one\ntwo\n"+long+"\nno newline"))
	w.Copy("stderr", strings.NewReader("oops\n"))
	w.Close()
	var out, errb bytes.Buffer
	if err := ReadLog(path, LogOptions{Tail: -1}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if out.String() != "one\ntwo\n"+long+"\nno newline" || errb.String() != "oops\n" {
		t.Errorf("stdout %d bytes %q..., stderr %q", out.Len(), out.String()[:10], errb.String())
	}
	out.Reset()
	ReadLog(path, LogOptions{Tail: 1}, &out, &bytes.Buffer{})
	if out.String() != "" && !strings.HasSuffix(out.String(), "no newline") {
		t.Errorf("tail 1 = %q", out.String())
	}
	out.Reset()
	ReadLog(path, LogOptions{Tail: -1, Timestamps: true}, &out, &bytes.Buffer{})
	if !strings.Contains(out.String(), "Z one\n") {
		t.Errorf("timestamps: %q", out.String()[:60])
	}
	if err := ReadLog(filepath.Join(t.TempDir(), "none"), LogOptions{}, &out, &out); err != nil {
		t.Errorf("missing log: %v", err)
	}
	os.Remove(path)
}

// writeLines writes "line I" for I in [from, to) through Copy, one Copy call
// per batch so that rotations happen inside a batch.
func writeLines(w *LogWriter, from, to int) {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	w.Copy("stdout", strings.NewReader(b.String()))
}

// checkFiles checks that only ctr.log and ctr.log.1 exist, each within max
// and made of whole records.
func checkFiles(t *testing.T, dir string, max int64) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "ctr.log" && e.Name() != "ctr.log.1" {
			t.Errorf("unexpected file %s", e.Name())
			continue
		}
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if int64(len(data)) > max {
			t.Errorf("%s is %d bytes, over %d", e.Name(), len(data), max)
		}
		if len(data) > 0 && data[len(data)-1] != '\n' {
			t.Errorf("%s ends mid-record", e.Name())
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if _, err := ParseLogLine(l); err != nil && len(data) > 0 {
				t.Errorf("%s: %v", e.Name(), err)
			}
		}
	}
}

// checkSuffix checks that out is "line I\n" for a run of I ending at last-1.
func checkSuffix(t *testing.T, out string, last int) int {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	first := last - len(lines)
	for i, l := range lines {
		if want := fmt.Sprintf("line %d", first+i); l != want {
			t.Fatalf("output line %d is %q, want %q", i, l, want)
		}
	}
	return len(lines)
}

func TestLogRotation(t *testing.T) {
	for _, max := range []int64{8192, 1000, 100} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ctr.log")
			w, err := OpenLog(path, max)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5000; i += 500 {
				writeLines(w, i, i+500)
				checkFiles(t, dir, max)
			}
			w.Close()
			if _, err := os.Stat(RotatedLogPath(path)); err != nil {
				t.Fatalf("no rotated file: %v", err)
			}
			var out bytes.Buffer
			if err := ReadLog(path, LogOptions{Tail: -1}, &out, &out); err != nil {
				t.Fatal(err)
			}
			n := checkSuffix(t, out.String(), 5000)
			// Both files are read: more lines than one file holds.
			cur, _ := os.ReadFile(path)
			if n <= bytes.Count(cur, []byte("\n")) && max >= 1000 {
				t.Errorf("read %d lines, no more than the current file's", n)
			}
			out.Reset()
			ReadLog(path, LogOptions{Tail: 3}, &out, &out)
			if out.String() != "line 4997\nline 4998\nline 4999\n" {
				t.Errorf("tail 3 = %q", out.String())
			}
		})
	}
}

func TestLogRotationLongLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	const limit = 1000
	w, err := OpenLog(path, limit)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("y", 40<<10)
	w.Copy("stdout", strings.NewReader("a\n"+long+"\nshort\n"))
	w.Copy("stderr", strings.NewReader("err1\nerr2\n"))
	w.Close()
	checkFiles(t, dir, limit)
	var out, errb bytes.Buffer
	if err := ReadLog(path, LogOptions{Tail: -1}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "y\nshort\n") || errb.String() != "err1\nerr2\n" {
		t.Errorf("stdout ...%q, stderr %q", out.String()[max(0, out.Len()-20):], errb.String())
	}
	// Unlimited, the same long line stays one record of at most logBufSize.
	path2 := filepath.Join(t.TempDir(), "ctr.log")
	w, _ = OpenLog(path2, 0)
	w.Copy("stdout", strings.NewReader(long+"\n"))
	w.Close()
	out.Reset()
	ReadLog(path2, LogOptions{Tail: -1}, &out, &out)
	if out.String() != long+"\n" {
		t.Errorf("unlimited long line: %d bytes back", out.Len())
	}
}

func TestLogReopenRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, _ := OpenLog(path, 0)
	writeLines(w, 0, 300) // about 13 kB, unlimited
	w.Close()
	// Restarted with a limit: the first record moves the big file aside.
	w, _ = OpenLog(path, 8192)
	writeLines(w, 300, 301)
	w.Close()
	if fi, err := os.Stat(path); err != nil || fi.Size() > 100 {
		t.Errorf("current file after reopen: %v %v", fi, err)
	}
	var out bytes.Buffer
	ReadLog(path, LogOptions{Tail: -1}, &out, &out)
	if checkSuffix(t, out.String(), 301) != 301 {
		t.Errorf("lines lost: %q...", out.String()[:40])
	}
}

func TestLogSinceAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, _ := OpenLog(path, 200)
	writeLines(w, 0, 3)
	time.Sleep(20 * time.Millisecond)
	mid := time.Now()
	time.Sleep(20 * time.Millisecond)
	writeLines(w, 3, 6)
	w.Close()
	var out bytes.Buffer
	ReadLog(path, LogOptions{Tail: -1, Since: mid}, &out, &out)
	if out.String() != "line 3\nline 4\nline 5\n" {
		t.Errorf("since: %q", out.String())
	}
}

func TestLogFollowAcrossRotations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, _ := OpenLog(path, 2000) // about 90 lines a file
	writeLines(w, 0, 10)
	f, _ := os.Open(path)
	l := newLogReader(f)
	var got []string
	read := func() {
		recs, err := l.follow(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			got = append(got, r.Text)
		}
	}
	read()
	// A file holds about 41 records: no rotation, one, two (a whole file
	// unseen), then none again.
	for _, n := range []int{20, 30, 70, 5} {
		from := 10
		if len(got) > 0 {
			from = len(got)
		}
		writeLines(w, from, from+n)
		read()
	}
	w.Close()
	l.f.Close()
	for i, s := range got {
		if s != fmt.Sprintf("line %d", i) {
			t.Fatalf("followed line %d is %q", i, s)
		}
	}
	if len(got) != 135 {
		t.Errorf("followed %d lines, want 135", len(got))
	}
}

func TestReadLogFollowWhileRotating(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	w, _ := OpenLog(path, 8192)
	writeLines(w, 0, 1)
	var done atomic.Bool
	go func() {
		for i := 1; i < 1500; i += 30 {
			writeLines(w, i, i+30)
			time.Sleep(5 * time.Millisecond)
		}
		done.Store(true)
	}()
	var out bytes.Buffer
	err := ReadLog(path, LogOptions{Tail: -1, Follow: true, Running: func() bool { return !done.Load() }}, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	// Every line that was printed is whole and in order; the last one is there.
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	prev := -1
	for _, l := range lines {
		var n int
		if _, err := fmt.Sscanf(l, "line %d", &n); err != nil || n <= prev {
			t.Fatalf("followed %q after line %d", l, prev)
		}
		prev = n
	}
	if prev != 1500 {
		t.Errorf("last followed line %d, want 1500", prev)
	}
}

func TestLogNone(t *testing.T) {
	w, err := OpenLog(os.DevNull, 100)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(w, 0, 10)
	w.Close()
	err = ReadLog(os.DevNull, LogOptions{Tail: -1}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "'none' log driver") {
		t.Errorf("ReadLog: %v", err)
	}
}

// FuzzLogRotation writes arbitrary output through a size-limited log and
// checks the invariants: at most two files, none over the limit, and what
// rpod logs prints is the newest part of what was written.
func FuzzLogRotation(f *testing.F) {
	f.Add([]byte("one\ntwo\nthree\n"), uint16(100))
	f.Add([]byte(strings.Repeat("abcdefghij", 300)+"\nend"), uint16(200))
	f.Add([]byte("\n\n\n\n\n\n\n\n\n\n\n\n"), uint16(60))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		max := int64(limit)%4000 + int64(maxRecordHead) + 8
		dir := t.TempDir()
		path := filepath.Join(dir, "ctr.log")
		w, err := OpenLog(path, max)
		if err != nil {
			t.Fatal(err)
		}
		w.Copy("stdout", bytes.NewReader(data))
		w.Close()
		checkFiles(t, dir, max)
		var out bytes.Buffer
		if err := ReadLog(path, LogOptions{Tail: -1}, &out, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(data, out.Bytes()) {
			t.Errorf("printed %q, not a suffix of what was written", out.String())
		}
		if len(data) > 0 && out.Len() == 0 {
			t.Errorf("nothing printed of %d bytes", len(data))
		}
	})
}
