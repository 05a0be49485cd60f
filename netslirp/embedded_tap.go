package netslirp

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// embOpenTap creates tap0 in the network namespace of pid, configured as the
// container's side of the embedded network, and returns its fd.
func embOpenTap(pid int) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// Never unlocked: the thread leaves the host's netns for good and
		// the runtime ends it with this goroutine.
		runtime.LockOSThread()
		fd, err := embTapInNetns(pid)
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

func embTapInNetns(pid int) (int, error) {
	ns, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open netns of %d: %w", pid, err)
	}
	err = unix.Setns(ns, unix.CLONE_NEWNET)
	unix.Close(ns)
	if err != nil {
		return -1, fmt.Errorf("join netns of %d: %w", pid, err)
	}
	fd, err := unix.Open(TunPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, tunError(err)
	}
	if err := embConfigureTap(fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// embConfigureTap makes fd tap0, gives it the container's address and MTU,
// brings it up and routes everything through the gateway.
func embConfigureTap(fd int) error {
	ifr, err := unix.NewIfreq(EmbeddedTap)
	if err != nil {
		return err
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return fmt.Errorf("create %s: %w", EmbeddedTap, err)
	}
	sock, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("configure %s: %w", EmbeddedTap, err)
	}
	defer unix.Close(sock)
	set := func(what string, req uint, fill func(*unix.Ifreq) error) error {
		ifr, err := unix.NewIfreq(EmbeddedTap)
		if err == nil {
			err = fill(ifr)
		}
		if err == nil {
			err = unix.IoctlIfreq(sock, req, ifr)
		}
		if err != nil {
			return fmt.Errorf("set %s of %s: %w", what, EmbeddedTap, err)
		}
		return nil
	}
	if err := set("mtu", unix.SIOCSIFMTU, func(r *unix.Ifreq) error { r.SetUint32(EmbeddedMTU); return nil }); err != nil {
		return err
	}
	if err := set("address", unix.SIOCSIFADDR, func(r *unix.Ifreq) error { return r.SetInet4Addr(embContainerAddr.AsSlice()) }); err != nil {
		return err
	}
	mask := []byte{255, 255, 255, 0}
	if err := set("netmask", unix.SIOCSIFNETMASK, func(r *unix.Ifreq) error { return r.SetInet4Addr(mask) }); err != nil {
		return err
	}
	if err := set("flags", unix.SIOCSIFFLAGS, func(r *unix.Ifreq) error {
		r.SetUint16(unix.IFF_UP | unix.IFF_RUNNING)
		return nil
	}); err != nil {
		return err
	}
	idx, err := unix.NewIfreq(EmbeddedTap)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(sock, unix.SIOCGIFINDEX, idx); err != nil {
		return fmt.Errorf("index of %s: %w", EmbeddedTap, err)
	}
	if err := embAddDefaultRoute(idx.Uint32()); err != nil {
		return fmt.Errorf("default route via %s: %w", EmbeddedGateway, err)
	}
	return nil
}

// embAddDefaultRoute adds "default via the gateway dev ifindex" with one
// rtnetlink request, in the calling thread's netns.
func embAddDefaultRoute(ifindex uint32) error {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	if err := unix.Bind(s, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	msg := embRouteRequest(embGatewayAddr.As4(), ifindex)
	if err := unix.Sendto(s, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(s, buf, 0)
	if err != nil {
		return err
	}
	return embNetlinkAck(buf[:n])
}

// embRouteRequest is an RTM_NEWROUTE message for a default IPv4 route.
func embRouteRequest(gw [4]byte, ifindex uint32) []byte {
	attr := func(typ uint16, data []byte) []byte {
		a := make([]byte, unix.SizeofRtAttr, unix.SizeofRtAttr+len(data))
		binary.NativeEndian.PutUint16(a[0:2], uint16(unix.SizeofRtAttr+len(data)))
		binary.NativeEndian.PutUint16(a[2:4], typ)
		return append(a, data...) // 4- and 8-byte payloads need no padding
	}
	rtm := unix.RtMsg{
		Family:   unix.AF_INET,
		Table:    unix.RT_TABLE_MAIN,
		Protocol: unix.RTPROT_BOOT,
		Scope:    unix.RT_SCOPE_UNIVERSE,
		Type:     unix.RTN_UNICAST,
	}
	body := (*[unix.SizeofRtMsg]byte)(unsafe.Pointer(&rtm))[:]
	oif := make([]byte, 4)
	binary.NativeEndian.PutUint32(oif, ifindex)
	payload := append(append(append([]byte{}, body...), attr(unix.RTA_GATEWAY, gw[:])...), attr(unix.RTA_OIF, oif)...)
	hdr := make([]byte, unix.SizeofNlMsghdr)
	binary.NativeEndian.PutUint32(hdr[0:4], uint32(unix.SizeofNlMsghdr+len(payload)))
	binary.NativeEndian.PutUint16(hdr[4:6], unix.RTM_NEWROUTE)
	binary.NativeEndian.PutUint16(hdr[6:8], unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	binary.NativeEndian.PutUint32(hdr[8:12], 1)
	return append(hdr, payload...)
}

// embNetlinkAck returns the error a netlink acknowledgement carries.
func embNetlinkAck(b []byte) error {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
			if code := int32(binary.NativeEndian.Uint32(m.Data[0:4])); code != 0 {
				return unix.Errno(-code)
			}
			return nil
		}
	}
	return fmt.Errorf("no netlink acknowledgement")
}
