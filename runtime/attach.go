package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// The attach socket is a SOCK_SEQPACKET socket in the container's run
// directory: each message is one frame, its first byte the frame's kind.
const (
	frameStdin  = 0 // client: bytes for the container's stdin
	frameStdout = 1 // monitor: the container's stdout (or terminal)
	frameStderr = 2 // monitor: the container's stderr
	frameExit   = 3 // monitor: the command exited; payload is the code in decimal
	frameResize = 4 // client: the terminal's rows and columns, big-endian uint16 each
)

const attachSocket = "attach"

// shortPath opens dir and returns a name for dir/name that fits in
// sun_path's 108 bytes, whatever dir's length; close the file after use.
func shortPath(dir, name string) (string, *os.File, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("open %s: %w", dir, err)
	}
	return fmt.Sprintf("/proc/self/fd/%d/%s", fd, name), os.NewFile(uintptr(fd), dir), nil
}

// attachServer is the monitor's side: it copies the container's output to
// every attached client and their input to the container.
type attachServer struct {
	ln      *net.UnixListener
	mu      sync.Mutex
	clients map[*net.UnixConn]struct{}
	stdin   *os.File // the container's stdin or pty master; nil when it has none
	pty     *os.File // the pty master, for window sizes
}

// serveAttach listens on the container's attach socket.
func (c *Container) serveAttach() (*attachServer, error) {
	dir, err := c.RunDirectory()
	if err != nil {
		return nil, err
	}
	path, d, err := shortPath(dir, attachSocket)
	if err != nil {
		return nil, fmt.Errorf("attach socket: %w", err)
	}
	defer d.Close()
	os.Remove(filepath.Join(dir, attachSocket))
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("attach socket: %w", err)
	}
	// The /proc/self/fd name is dead once d is closed: remove by the real path.
	ln.SetUnlinkOnClose(false)
	s := &attachServer{ln: ln, clients: map[*net.UnixConn]struct{}{}}
	go s.accept()
	return s, nil
}

func (s *attachServer) accept() {
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.clients[conn] = struct{}{}
		s.mu.Unlock()
		go s.serve(conn)
	}
}

// serve reads one client's input until it detaches.
func (s *attachServer) serve(conn *net.UnixConn) {
	defer s.drop(conn)
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil || n == 0 {
			return
		}
		s.mu.Lock()
		stdin, pty := s.stdin, s.pty
		s.mu.Unlock()
		switch buf[0] {
		case frameStdin:
			if stdin != nil {
				stdin.Write(buf[1:n])
			}
		case frameResize:
			if pty != nil && n == 5 {
				ws := unix.Winsize{Row: binary.BigEndian.Uint16(buf[1:]), Col: binary.BigEndian.Uint16(buf[3:])}
				unix.IoctlSetWinsize(int(pty.Fd()), unix.TIOCSWINSZ, &ws)
			}
		}
	}
}

func (s *attachServer) drop(conn *net.UnixConn) {
	s.mu.Lock()
	delete(s.clients, conn)
	s.mu.Unlock()
	conn.Close()
}

// setInput names where client input goes for the current run (nil: nowhere).
func (s *attachServer) setInput(stdin, pty *os.File) {
	s.mu.Lock()
	s.stdin, s.pty = stdin, pty
	s.mu.Unlock()
}

// send gives every client one frame; a client that cannot take it within
// a second is dropped rather than holding up the container's output.
func (s *attachServer) send(kind byte, p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) == 0 {
		return
	}
	msg := append([]byte{kind}, p...)
	for conn := range s.clients {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := conn.Write(msg); err != nil {
			delete(s.clients, conn)
			conn.Close()
		}
	}
}

// exited tells every client the code and lets them go.
func (s *attachServer) exited(code int) {
	s.send(frameExit, []byte(strconv.Itoa(code)))
	s.mu.Lock()
	for conn := range s.clients {
		delete(s.clients, conn)
		conn.Close()
	}
	s.mu.Unlock()
}

// stream is an io.Writer that sends frames of one kind.
func (s *attachServer) stream(kind byte) io.Writer { return streamWriter{s, kind} }

type streamWriter struct {
	s    *attachServer
	kind byte
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.s.send(w.kind, p)
	return len(p), nil
}

// close stops listening and removes the socket.
func (s *attachServer) close(c *Container) {
	s.ln.Close()
	if dir, err := c.runDir(); err == nil {
		os.Remove(filepath.Join(dir, attachSocket))
	}
	s.exited(ExitRpodError)
}

// ErrNotRunning is attach's refusal of a container that is not running.
var ErrNotRunning = errors.New("you can only attach to running containers")

// connectAttach dials the container's attach socket.
func (c *Container) connectAttach() (*net.UnixConn, error) {
	dir, err := c.runDir()
	if err != nil {
		return nil, err
	}
	path, d, err := shortPath(dir, attachSocket)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
}

// AttachOptions are rpod attach's streams and flags.
type AttachOptions struct {
	Stdin          *os.File // nil: --no-stdin
	Stdout, Stderr io.Writer
	// DetachKeys end the attachment, leaving the container running; empty: none.
	DetachKeys []byte
	// SigProxy forwards the signals rpod receives to the container.
	SigProxy bool
}

// Attach connects the caller's streams to the running container until it
// exits (its code is returned) or the detach keys are typed (detached).
func (c *Container) Attach(o AttachOptions) (code int, detached bool, err error) {
	if !c.Running() {
		return 0, false, ErrNotRunning
	}
	conn, err := c.connectAttach()
	if err != nil {
		if !c.Running() {
			return 0, false, ErrNotRunning
		}
		return 0, false, fmt.Errorf("attach to %s: %w: its monitor does not answer", c.Name, err)
	}
	defer conn.Close()
	a := &attachment{c: c, conn: conn, o: o}
	restore := a.terminal()
	defer restore()
	return a.run()
}

type attachment struct {
	c        *Container
	conn     *net.UnixConn
	o        AttachOptions
	detached atomic.Bool
}

// terminal puts a terminal stdin in raw mode for a container with a
// terminal, so that keys reach it unchanged.
func (a *attachment) terminal() (restore func()) {
	restore = func() {}
	if a.c.Spec.Terminal && a.o.Stdin != nil && term.IsTerminal(int(a.o.Stdin.Fd())) {
		if st, err := term.MakeRaw(int(a.o.Stdin.Fd())); err == nil {
			restore = func() { term.Restore(int(a.o.Stdin.Fd()), st) }
		}
	}
	return restore
}

func (a *attachment) run() (int, bool, error) {
	sigs := make(chan os.Signal, 8)
	if a.c.Spec.Terminal {
		signal.Notify(sigs, unix.SIGWINCH)
		a.resize()
	}
	if a.o.SigProxy {
		signal.Notify(sigs, proxiedSignals...)
	}
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			if s == unix.SIGWINCH {
				a.resize()
			} else if st := a.c.State(); st.Status == "running" {
				unix.Kill(st.Pid, s.(syscall.Signal))
			}
		}
	}()
	if a.o.Stdin != nil {
		// Not waited for: a read on a terminal ends only with the next key.
		go a.input()
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := a.conn.Read(buf)
		if err != nil || n == 0 {
			if a.detached.Load() {
				return 0, true, nil
			}
			// The monitor went away without a word: ask the record.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code, werr := a.c.Wait(ctx)
			if werr != nil {
				return ExitRpodError, false, fmt.Errorf("attach to %s: the monitor closed the connection: %w", a.c.Name, werr)
			}
			return code, false, nil
		}
		switch buf[0] {
		case frameStdout:
			a.o.Stdout.Write(buf[1:n])
		case frameStderr:
			a.o.Stderr.Write(buf[1:n])
		case frameExit:
			code, err := strconv.Atoi(string(buf[1:n]))
			if err != nil {
				return ExitRpodError, false, fmt.Errorf("attach to %s: bad exit frame %q", a.c.Name, buf[1:n])
			}
			return code, false, nil
		}
	}
}

// input sends stdin to the container until the detach keys.
func (a *attachment) input() {
	f := detachFilter{keys: a.o.DetachKeys}
	buf := make([]byte, 4096)
	for {
		n, err := a.o.Stdin.Read(buf)
		if n > 0 {
			out, detach := f.feed(buf[:n])
			if len(out) > 0 {
				a.conn.Write(append([]byte{frameStdin}, out...))
			}
			if detach {
				a.detached.Store(true)
				a.conn.Close()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// resize sends the caller's terminal size.
func (a *attachment) resize() {
	for _, f := range []*os.File{a.o.Stdin, os.Stdout, os.Stderr} {
		if f == nil {
			continue
		}
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
			msg := []byte{frameResize, 0, 0, 0, 0}
			binary.BigEndian.PutUint16(msg[1:], ws.Row)
			binary.BigEndian.PutUint16(msg[3:], ws.Col)
			a.conn.Write(msg)
			return
		}
	}
}

// detachFilter passes input through, holding back a partial detach
// sequence until it is either complete (detach) or broken (sent on).
type detachFilter struct {
	keys    []byte
	matched int
}

func (f *detachFilter) feed(in []byte) (out []byte, detach bool) {
	if len(f.keys) == 0 {
		return in, false
	}
	for _, b := range in {
		if b == f.keys[f.matched] {
			f.matched++
			if f.matched == len(f.keys) {
				return out, true
			}
			continue
		}
		// Keep the longest tail of what was held plus b that may still
		// start the sequence; what comes before it goes on.
		held := append(append([]byte{}, f.keys[:f.matched]...), b)
		i := 1
		for ; i <= len(held); i++ {
			if bytes.HasPrefix(f.keys, held[i:]) {
				break
			}
		}
		out = append(out, held[:i]...)
		f.matched = len(held) - i
	}
	return out, false
}

// DefaultDetachKeys are podman's: ctrl-p then ctrl-q.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ParseDetachKeys reads podman's --detach-keys: comma-separated single
// characters or ctrl-<letter, or one of @[\]^_>; "" disables detaching.
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var out []byte
	for _, k := range strings.Split(s, ",") {
		switch {
		case len(k) == 1:
			out = append(out, k[0])
		case len(k) == 6 && strings.EqualFold(k[:5], "ctrl-"):
			ch := k[5]
			switch {
			case ch >= 'a' && ch <= 'z':
				out = append(out, ch-'a'+1)
			case ch >= 'A' && ch <= 'Z':
				out = append(out, ch-'A'+1)
			case ch == '@' || (ch >= '[' && ch <= '_'):
				out = append(out, ch-'@')
			default:
				return nil, fmt.Errorf("invalid detach keys %q: %q is not ctrl- and a letter or one of @[\\]^_", s, k)
			}
		default:
			return nil, fmt.Errorf("invalid detach keys %q: %q is neither one character nor ctrl-<key>; use a comma-separated list such as ctrl-p,ctrl-q", s, k)
		}
	}
	return out, nil
}
