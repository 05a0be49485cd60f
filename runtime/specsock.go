package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// sendSpec writes spec to a child step's socket; tree, when not -1, goes
// with it: the rootfs mount of a prestarted init step, whose namespace was
// cloned before rpod mounted it.
func sendSpec(sock *os.File, spec *Spec, tree int) error {
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if tree < 0 {
		_, err = sock.Write(b)
		return err
	}
	// The descriptor rides on the first bytes, which the child reads with recvmsg.
	n, err := unix.SendmsgN(int(sock.Fd()), b, unix.UnixRights(tree), nil, 0)
	if err != nil || n == len(b) {
		// Nothing more to write: even an empty write would meet EPIPE
		// from a child that already ran its command.
		return err
	}
	_, err = sock.Write(b[n:])
	return err
}

// recvSpec reads the spec sendSpec wrote, with the mount tree it sent, if
// any (nil otherwise). spec.more reads what came after it.
func recvSpec(sock *os.File, spec *Spec) (*os.File, error) {
	buf := make([]byte, 64<<10)
	n, tree, err := recvFD(sock, buf)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	in := io.MultiReader(bytes.NewReader(buf[:n]), sock)
	dec := json.NewDecoder(in)
	if err := dec.Decode(spec); err != nil {
		if tree != nil {
			tree.Close()
		}
		return nil, err
	}
	// The go-ahead may have come with the spec's bytes.
	spec.more = io.MultiReader(dec.Buffered(), in)
	return tree, nil
}

// goAhead is the byte rpod sends a step whose spec says AwaitNetwork.
const goAhead = 'g'

// sendGoAhead tells a step that waits for it to run its command.
func sendGoAhead(sock *os.File) error {
	_, err := sock.Write([]byte{goAhead})
	return err
}

// awaitGoAhead waits for rpod's go-ahead after spec; an end of stream is
// rpod giving up (it kills the step too).
func awaitGoAhead(spec *Spec) error {
	var b [1]byte
	for {
		if _, err := io.ReadFull(spec.more, b[:]); err != nil {
			return fmt.Errorf("wait for the network: %w", err)
		}
		if b[0] == goAhead {
			return nil
		}
	}
}

// recvFD reads what is on the socket into buf, with the one descriptor
// sent along with it, if any (fd nil otherwise); n is 0 at end of stream.
func recvFD(sock *os.File, buf []byte) (n int, fd *os.File, err error) {
	oob := make([]byte, unix.CmsgSpace(4))
	var oobn int
	for {
		n, oobn, _, _, err = unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil || oobn == 0 {
		return n, nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		return n, nil, fmt.Errorf("receive a descriptor: %v", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return n, nil, fmt.Errorf("receive a descriptor: %v", err)
	}
	return n, os.NewFile(uintptr(fds[0]), "received"), nil
}
