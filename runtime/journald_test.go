package runtime

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestAppendJournalField(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        string
	}{
		{"MESSAGE", "hello", "MESSAGE=hello\n"},
		{"MESSAGE", "", "MESSAGE=\n"},
		{"MESSAGE", "a=b", "MESSAGE=a=b\n"},
		{"MESSAGE", "two\nlines", "MESSAGE\n\x09\x00\x00\x00\x00\x00\x00\x00two\nlines\n"},
		{"MESSAGE", "\n", "MESSAGE\n\x01\x00\x00\x00\x00\x00\x00\x00\n\n"},
		{"MESSAGE", "bin\x00ary", "MESSAGE=bin\x00ary\n"},
	} {
		got := string(AppendJournalField(nil, tc.name, []byte(tc.value)))
		if got != tc.want {
			t.Errorf("%s=%q: %q, want %q", tc.name, tc.value, got, tc.want)
		}
		fs, err := ParseJournalEntry([]byte(got))
		if err != nil || len(fs) != 1 || fs[0] != (JournalField{tc.name, tc.value}) {
			t.Errorf("%q read back as %q, %v", got, fs, err)
		}
	}
}

func TestValidJournalFieldName(t *testing.T) {
	for s, want := range map[string]bool{
		"MESSAGE": true, "CONTAINER_ID_FULL": true, "A1": true, "": false, "_PID": false, "1A": false,
		"message": false, "A-B": false, strings.Repeat("A", 64): true, strings.Repeat("A", 65): false,
	} {
		if got := ValidJournalFieldName(s); got != want {
			t.Errorf("ValidJournalFieldName(%q) = %v", s, got)
		}
	}
}

func FuzzJournalField(f *testing.F) {
	for _, s := range []string{"hello", "", "two\nlines", "\n", "x\x00y", "a=b\n=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		b := AppendJournalField(nil, "MESSAGE", []byte(v))
		b = AppendJournalField(b, "PRIORITY", []byte("6"))
		fs, err := ParseJournalEntry(b)
		if err != nil || len(fs) != 2 || fs[0].Value != v || fs[1].Value != "6" {
			t.Fatalf("%q: read back %q, %v", v, fs, err)
		}
	})
}

// listenJournal stands in for journald's socket in a test.
func listenJournal(t *testing.T) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "socket")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
	old := journalSocketPath
	journalSocketPath = path
	t.Cleanup(func() { journalSocketPath = old; unix.Close(fd) })
	return fd
}

// receive reads one entry as journald would, from a datagram or a passed memfd.
func receive(t *testing.T, fd int) map[string]string {
	t.Helper()
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := buf[:n]
	if oobn > 0 {
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil {
			t.Fatal(err)
		}
		f := os.NewFile(uintptr(fds[0]), "memfd")
		defer f.Close()
		if data, err = os.ReadFile("/proc/self/fd/" + strconv.Itoa(fds[0])); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := ParseJournalEntry(data)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range fs {
		m[f.Name] = f.Value
	}
	return m
}

func TestJournalWriter(t *testing.T) {
	fd := listenJournal(t)
	id := strings.Repeat("ab", 32)
	j, err := openJournal(id, "web", "mytag")
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	w := &LogWriter{journal: j, chunk: logBufSize}
	go w.Copy("stderr", strings.NewReader("oops\n"))
	m := receive(t, fd)
	want := map[string]string{"MESSAGE": "oops", "PRIORITY": "3", "CONTAINER_NAME": "web", "CONTAINER_ID": id[:12],
		"CONTAINER_ID_FULL": id, "SYSLOG_IDENTIFIER": "web", "CONTAINER_TAG": "mytag"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q (entry %q)", k, m[k], v, m)
		}
	}
	// Too large for a datagram: sent as a sealed memfd.
	big := bytes.Repeat([]byte("x"), 900<<10)
	go j.send("stdout", false, big)
	m = receive(t, fd)
	if m["MESSAGE"] != string(big) || m["PRIORITY"] != "6" {
		t.Errorf("big entry: MESSAGE of %d bytes, PRIORITY %q", len(m["MESSAGE"]), m["PRIORITY"])
	}
}

func TestJournalAvailable(t *testing.T) {
	old := journalSocketPath
	defer func() { journalSocketPath = old }()
	journalSocketPath = filepath.Join(t.TempDir(), "nope")
	if err := JournalAvailable(); err == nil || !strings.Contains(err.Error(), "systemd-journald is not running") {
		t.Errorf("JournalAvailable() = %v", err)
	}
}

func TestUnderSystemd(t *testing.T) {
	stream := func(fd int) (uint64, uint64, bool) { return 7, 42, fd == 2 }
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"RPOD_SYSTEMD_UNIT": "web.service"}, true},
		{map[string]string{"JOURNAL_STREAM": "7:42"}, true},
		{map[string]string{"JOURNAL_STREAM": "7:43"}, false}, // inherited by a shell: not its stream
		{map[string]string{"JOURNAL_STREAM": "junk"}, false},
		{map[string]string{"INVOCATION_ID": "abc"}, false},
	} {
		if got := underSystemd(func(k string) string { return tc.env[k] }, stream); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestParseJournalJSON(t *testing.T) {
	in := `{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1700000000000000","MESSAGE":"hi","PRIORITY":"6"}
{"__CURSOR":"c2","__REALTIME_TIMESTAMP":"1700000001000000","MESSAGE":[104,10,255],"PRIORITY":"3","CONTAINER_PARTIAL_MESSAGE":"true"}
{"__CURSOR":"c3","__REALTIME_TIMESTAMP":"1700000002000000","MESSAGE":null,"PRIORITY":"6"}
`
	recs, cur, err := ParseJournalJSON(strings.NewReader(in))
	if err != nil || cur != "c3" || len(recs) != 3 {
		t.Fatalf("%+v %q %v", recs, cur, err)
	}
	if recs[0].Text != "hi" || recs[0].Stream != "stdout" || recs[0].Partial || !recs[0].Time.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("rec 0: %+v", recs[0])
	}
	if recs[1].Text != "h\n\xff" || recs[1].Stream != "stderr" || !recs[1].Partial {
		t.Errorf("rec 1: %+v", recs[1])
	}
	if recs[2].Text != "" {
		t.Errorf("rec 2: %+v", recs[2])
	}
}
