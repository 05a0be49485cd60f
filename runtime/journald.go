package runtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// JournalSocket is where systemd-journald takes entries in its native protocol.
const JournalSocket = "/run/systemd/journal/socket"

// journalSocketPath is JournalSocket, replaced by tests.
var journalSocketPath = JournalSocket

// JournalAvailable tells why the journald log driver cannot be used here,
// or nil when journald's socket is there to write to.
func JournalAvailable() error {
	fi, err := os.Stat(journalSocketPath)
	if err != nil {
		return fmt.Errorf("%s does not exist: systemd-journald is not running", journalSocketPath)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("%s is not a socket", journalSocketPath)
	}
	return nil
}

// UnderSystemd reports whether rpod runs as (part of) a systemd unit: the
// generated units set RPOD_SYSTEMD_UNIT; otherwise systemd's JOURNAL_STREAM
// must name rpod's own stdout or stderr, as sd_journal_stream's docs ask
// (a shell started by a service inherits the variable, not the stream).
func UnderSystemd() bool { return underSystemd(os.Getenv, fdDevIno) }

func underSystemd(getenv func(string) string, devIno func(fd int) (uint64, uint64, bool)) bool {
	if getenv("RPOD_SYSTEMD_UNIT") != "" {
		return true
	}
	var dev, ino uint64
	if n, err := fmt.Sscanf(getenv("JOURNAL_STREAM"), "%d:%d", &dev, &ino); err != nil || n != 2 {
		return false
	}
	for _, fd := range []int{1, 2} {
		if d, i, ok := devIno(fd); ok && d == dev && i == ino {
			return true
		}
	}
	return false
}

func fdDevIno(fd int) (uint64, uint64, bool) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return 0, 0, false
	}
	return uint64(st.Dev), st.Ino, true
}

// DefaultLogDriver is podman's choice when --log-driver is not given:
// journald inside a systemd unit when the journal is there, else k8s-file.
func DefaultLogDriver() string {
	if UnderSystemd() && JournalAvailable() == nil {
		return "journald"
	}
	return "k8s-file"
}

// JournalField is one FIELD=value of a journal entry.
type JournalField struct{ Name, Value string }

// AppendJournalField appends one field in journald's native format: NAME=value
// and a newline, or, for a value holding a newline (or any byte, binary-safe),
// NAME, a newline, the value's length as 64-bit little endian, the value and
// a newline.
func AppendJournalField(b []byte, name string, value []byte) []byte {
	b = append(b, name...)
	if bytes.IndexByte(value, '\n') < 0 {
		b = append(b, '=')
		b = append(b, value...)
		return append(b, '\n')
	}
	b = append(b, '\n')
	b = binary.LittleEndian.AppendUint64(b, uint64(len(value)))
	b = append(b, value...)
	return append(b, '\n')
}

// ValidJournalFieldName is journald's rule for fields a client may send:
// upper-case letters, digits and underscores, not starting with an
// underscore or a digit, at most 64 characters.
func ValidJournalFieldName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '_' || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ParseJournalEntry reads back one entry in the native format (the
// inverse of AppendJournalField), for tests and the fuzzer.
func ParseJournalEntry(b []byte) ([]JournalField, error) {
	var out []JournalField
	for len(b) > 0 {
		i := bytes.IndexAny(b, "=\n")
		if i < 0 {
			return out, errors.New("field without end")
		}
		name := string(b[:i])
		if b[i] == '=' {
			rest := b[i+1:]
			j := bytes.IndexByte(rest, '\n')
			if j < 0 {
				return out, fmt.Errorf("field %s: no newline", name)
			}
			out = append(out, JournalField{name, string(rest[:j])})
			b = rest[j+1:]
			continue
		}
		rest := b[i+1:]
		if len(rest) < 8 {
			return out, fmt.Errorf("field %s: short length", name)
		}
		n := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		if n >= uint64(len(rest)) || rest[n] != '\n' {
			return out, fmt.Errorf("field %s: bad length %d", name, n)
		}
		out = append(out, JournalField{name, string(rest[:n])})
		b = rest[n+1:]
	}
	return out, nil
}

// journalWriter sends a container's output lines to journald, one entry a
// line, with podman's fields.
type journalWriter struct {
	mu     sync.Mutex
	fd     int
	addr   *unix.SockaddrUnix
	common []byte // the fields every entry carries
}

// openJournal connects to journald for container c; tag is --log-opt tag=.
func openJournal(id, name, tag string) (*journalWriter, error) {
	if err := JournalAvailable(); err != nil {
		return nil, fmt.Errorf("log to the journal: %w: use --log-driver k8s-file", err)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("log to the journal: socket: %w", err)
	}
	// Room for long lines in one datagram; larger entries go through a memfd.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 8<<20)
	var c []byte
	c = AppendJournalField(c, "CONTAINER_NAME", []byte(name))
	c = AppendJournalField(c, "CONTAINER_ID", []byte(shortID(id)))
	c = AppendJournalField(c, "CONTAINER_ID_FULL", []byte(id))
	c = AppendJournalField(c, "SYSLOG_IDENTIFIER", []byte(name))
	if tag != "" {
		c = AppendJournalField(c, "CONTAINER_TAG", []byte(tag))
	}
	return &journalWriter{fd: fd, addr: &unix.SockaddrUnix{Name: journalSocketPath}, common: c}, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// send writes one line of stream as an entry; partial marks a part of a
// longer line, as podman's CONTAINER_PARTIAL_MESSAGE.
func (j *journalWriter) send(stream string, partial bool, line []byte) {
	prio := "6"
	if stream == "stderr" {
		prio = "3"
	}
	b := make([]byte, 0, len(j.common)+len(line)+64)
	b = AppendJournalField(b, "MESSAGE", line)
	b = AppendJournalField(b, "PRIORITY", []byte(prio))
	if partial {
		b = AppendJournalField(b, "CONTAINER_PARTIAL_MESSAGE", []byte("true"))
	}
	b = append(b, j.common...)
	j.mu.Lock()
	defer j.mu.Unlock()
	err := unix.Sendto(j.fd, b, 0, j.addr)
	if errors.Is(err, unix.EMSGSIZE) || errors.Is(err, unix.ENOBUFS) {
		j.sendMemfd(b)
	}
	// Other errors (journald restarting) lose the line, as a full pipe would.
}

// sendMemfd passes an entry too large for a datagram as a sealed memfd, as
// sd_journal_send does.
func (j *journalWriter) sendMemfd(b []byte) {
	fd, err := unix.MemfdCreate("rpod-journal", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	for off := 0; off < len(b); {
		n, err := unix.Write(fd, b[off:])
		if err != nil {
			return
		}
		off += n
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL); err != nil {
		return
	}
	unix.Sendmsg(j.fd, nil, unix.UnixRights(fd), j.addr, 0)
}

func (j *journalWriter) close() error { return unix.Close(j.fd) }

// openLog opens where the monitor writes the container's output: the
// journal for the journald driver, else the log file.
func (c *Container) openLog() (*LogWriter, error) {
	if c.LogDriver == "journald" {
		j, err := openJournal(c.ID, c.Name, c.LogTag)
		if err != nil {
			return nil, err
		}
		return &LogWriter{journal: j, chunk: logBufSize}, nil
	}
	path, err := c.LogPath()
	if err != nil {
		return nil, err
	}
	return OpenLog(path, c.LogMaxSize)
}
