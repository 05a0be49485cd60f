package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
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
