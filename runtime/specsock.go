package runtime

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sendSpec writes a step's encoded spec (step.Spec.Encode) to its socket; tree,
// when not -1, goes with it: the rootfs mount of a prestarted init step,
// whose namespace was cloned before rpod mounted it.
func sendSpec(sock *os.File, b []byte, tree int) error {
	var err error
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

// goAhead is the byte rpod sends a step whose spec says AwaitNetwork.
const goAhead = 'g'

// sendGoAhead tells a step that waits for it to run its command.
func sendGoAhead(sock *os.File) error {
	_, err := sock.Write([]byte{goAhead})
	return err
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
