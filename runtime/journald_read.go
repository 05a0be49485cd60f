package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// journalDirs hold journald's files: volatile, then persistent storage.
var journalDirs = []string{"/run/log/journal", "/var/log/journal"}

// errJournalDenied names the ways to let a user read the journal.
var errJournalDenied = errors.New("cannot read the journal: this user may not open any of its files; " +
	"add the user to the systemd-journal group (sudo usermod -aG systemd-journal $USER, then log in again), " +
	"or make the journal persistent (Storage=persistent in /etc/systemd/journald.conf) so that journald keeps each user's entries in a file the user can read, " +
	"or run the container with --log-driver k8s-file")

// JournalReadable tells why this user cannot read the journal, or nil:
// journalctl itself only says that it saw nothing.
func JournalReadable() error {
	found := false
	for _, d := range journalDirs {
		subs, err := os.ReadDir(d)
		if err != nil {
			// A directory there that may not be read is the journal's, kept from this user.
			found = found || !errors.Is(err, os.ErrNotExist)
			continue
		}
		found = true
		for _, sub := range subs {
			files, _ := filepath.Glob(filepath.Join(d, sub.Name(), "*.journal"))
			for _, f := range files {
				if fh, err := os.Open(f); err == nil {
					fh.Close()
					return nil
				}
			}
		}
	}
	if !found {
		return errors.New("cannot read the journal: neither /run/log/journal nor /var/log/journal exists: is systemd-journald running?")
	}
	return errJournalDenied
}

// journalEntry is one entry as journalctl -o json prints it; a field may be
// a string, an array of bytes (not UTF-8) or an array of those (repeated).
type journalEntry struct {
	Cursor   string          `json:"__CURSOR"`
	Realtime string          `json:"__REALTIME_TIMESTAMP"`
	Message  json.RawMessage `json:"MESSAGE"`
	Priority json.RawMessage `json:"PRIORITY"`
	Partial  json.RawMessage `json:"CONTAINER_PARTIAL_MESSAGE"`
}

// journalValue decodes one field of journalctl's JSON output.
func journalValue(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b []byte
	var nums []int
	if json.Unmarshal(raw, &nums) == nil {
		for _, n := range nums {
			b = append(b, byte(n))
		}
		return string(b)
	}
	var many []json.RawMessage
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return journalValue(many[len(many)-1])
	}
	return ""
}

// ParseJournalJSON turns journalctl -o json lines into log records and
// returns the cursor of the last entry.
func ParseJournalJSON(r io.Reader) ([]LogRecord, string, error) {
	var out []LogRecord
	cursor := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return out, cursor, fmt.Errorf("read journalctl output: %w", err)
		}
		cursor = e.Cursor
		us, _ := strconv.ParseInt(e.Realtime, 10, 64)
		stream := "stdout"
		if journalValue(e.Priority) == "3" {
			stream = "stderr"
		}
		out = append(out, LogRecord{Time: time.UnixMicro(us).UTC(), Stream: stream,
			Partial: journalValue(e.Partial) == "true", Text: journalValue(e.Message)})
	}
	return out, cursor, sc.Err()
}

// journalQuery runs journalctl for the container's entries after cursor ("": all).
func journalQuery(id, cursor string, lines int) ([]LogRecord, string, error) {
	args := []string{"--no-pager", "-o", "json", "--output-fields=MESSAGE,PRIORITY,CONTAINER_PARTIAL_MESSAGE"}
	if cursor != "" {
		args = append(args, "--after-cursor="+cursor)
	}
	if lines >= 0 {
		args = append(args, "-n", strconv.Itoa(lines))
	}
	args = append(args, "CONTAINER_ID_FULL="+id)
	cmd := exec.Command("journalctl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, "", errors.New("read the journal: journalctl not found: install systemd's journalctl, or use --log-driver k8s-file")
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, "", fmt.Errorf("read the journal: journalctl: %v: %s", err, msg)
	}
	recs, last, err := ParseJournalJSON(bytes.NewReader(out))
	if last == "" {
		last = cursor
	}
	return recs, last, err
}

// ReadJournal is ReadLog for the journald driver: it prints the container's
// entries from the journal through journalctl.
func ReadJournal(id string, o LogOptions, stdout, stderr io.Writer) error {
	if err := JournalReadable(); err != nil {
		return err
	}
	emit := o.printer(stdout, stderr) // logfile.go
	// journalctl's -n counts entries before the time filter: tail here then.
	n := o.Tail
	if !o.Since.IsZero() || !o.Until.IsZero() {
		n = -1
	}
	recs, cursor, err := journalQuery(id, "", n)
	if err != nil {
		return err
	}
	var kept []LogRecord
	for _, r := range recs {
		if o.inWindow(r) {
			kept = append(kept, r)
		}
	}
	for _, r := range tail(kept, o.Tail) {
		emit(r)
	}
	// journald may still be writing what the monitor sent last: settle.
	return follow(o, func() (recs []LogRecord, err error) { // logfile.go
		recs, cursor, err = journalQuery(id, cursor, -1)
		return recs, err
	}, emit, 300*time.Millisecond, 250*time.Millisecond)
}
