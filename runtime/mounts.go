package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// target returns root+p, creating it as a directory (or an empty file) when
// the image lacks it, and refusing a symlink: a mount must never follow an
// image's link out of the rootfs.
func target(root, p string, dir bool) (string, error) {
	t := filepath.Join(root, p)
	st, err := os.Lstat(t)
	switch {
	case err == nil && st.Mode()&os.ModeSymlink != 0:
		return "", fmt.Errorf("mount target %s is a symlink in the image: refusing to follow it", p)
	case err == nil:
		return t, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("mount target %s: %w", p, err)
	}
	if dir {
		if err := os.MkdirAll(t, 0o755); err != nil {
			return "", fmt.Errorf("create mount target %s: %w", p, err)
		}
		return t, nil
	}
	if err := os.MkdirAll(filepath.Dir(t), 0o755); err != nil {
		return "", fmt.Errorf("create mount target %s: %w", p, err)
	}
	f, err := os.OpenFile(t, os.O_CREATE|os.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return "", fmt.Errorf("create mount target %s: %w", p, err)
	}
	f.Close()
	return t, nil
}

func mountAt(root, p, fstype, source string, flags uintptr, data string) error {
	t, err := target(root, p, true)
	if err != nil {
		return err
	}
	if err := unix.Mount(source, t, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstype, p, err)
	}
	return nil
}

const secure = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

func mountProc(root string, s *Spec) error {
	if s.HostPID {
		// The host's pid namespace belongs to the initial user namespace:
		// no proc of it can be mounted from ours, so share the host's.
		return bindAt(root, "/proc", "/proc")
	}
	return mountAt(root, "/proc", "proc", "proc", secure, "")
}

// bindAt binds the host directory src, with what is mounted under it, on p.
func bindAt(root, p, src string) error {
	t, err := target(root, p, true)
	if err != nil {
		return err
	}
	if err := unix.Mount(src, t, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind the host's %s on %s: %w", src, p, err)
	}
	// As the container's own proc, shm and mqueue would be.
	return remountBind(t, secure)
}

// defaultShmSize is podman's /dev/shm size.
const defaultShmSize = 64 << 20

// hostDevices are bind-mounted from the host: a user namespace may not mknod.
var hostDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

func mountDev(root string, s *Spec) error {
	if err := mountAt(root, "/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	dev := filepath.Join(root, "dev")
	for _, d := range hostDevices {
		t, err := target(root, "/dev/"+d, false)
		if err != nil {
			return err
		}
		if err := unix.Mount("/dev/"+d, t, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", d, err)
		}
	}
	// gid=5 (tty) is mapped only when the user has subordinate ranges.
	if err := mountAt(root, "/dev/pts", "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"); err != nil {
		if err := unix.Mount("devpts", filepath.Join(dev, "pts"), "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
			return fmt.Errorf("mount devpts: %w", err)
		}
	}
	if err := mountIPC(root, s); err != nil {
		return err
	}
	links := [][2]string{
		{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
	}
	for _, l := range links {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return fmt.Errorf("create /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// mountIPC mounts /dev/shm and /dev/mqueue: the container's own, or with
// --ipc=host the host's, since the host's IPC namespace belongs to the
// initial user namespace and mqueue of it cannot be mounted from ours.
func mountIPC(root string, s *Spec) error {
	if s.HostIPC {
		for _, p := range []string{"/dev/shm", "/dev/mqueue"} {
			if st, err := os.Stat(p); err != nil || !st.IsDir() {
				continue // a host without it: the container has none either
			}
			if err := bindAt(root, p, p); err != nil {
				return err
			}
		}
		return nil
	}
	size := s.ShmSize
	if size <= 0 {
		size = defaultShmSize
	}
	if err := mountAt(root, "/dev/shm", "tmpfs", "shm", secure, fmt.Sprintf("mode=1777,size=%d", size)); err != nil {
		return err
	}
	return mountAt(root, "/dev/mqueue", "mqueue", "mqueue", secure, "")
}

func mountSys(root string) error {
	err := mountAt(root, "/sys", "sysfs", "sysfs", secure|unix.MS_RDONLY, "")
	if err == nil {
		if isCgroup2() {
			// Best effort: the container's cgroup namespace shows its own subtree.
			unix.Mount("cgroup2", filepath.Join(root, "sys/fs/cgroup"), "cgroup2", secure|unix.MS_RDONLY, "")
		}
		return nil
	}
	// sysfs needs a network namespace we own; fall back to the host's, read-only.
	t := filepath.Join(root, "sys")
	if err := unix.Mount("/sys", t, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind /sys: %w", err)
	}
	return remountRO(t)
}

func isCgroup2() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// remountRO makes a bind mount read-only, keeping the flags the kernel
// locked on it in the user namespace (else the remount is refused).
func remountRO(p string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", p, err)
	}
	keep := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|keep, ""); err != nil {
		return fmt.Errorf("remount %s read-only: %w", p, err)
	}
	return nil
}

// setupTerminal creates the container's pty in its own devpts, so that the
// tty the command sees is its own, and sends the master to the parent.
func setupTerminal(root string, s *Spec, sock *os.File) error {
	master, err := os.OpenFile(filepath.Join(root, "dev/pts/ptmx"), os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open pty master: %w", err)
	}
	defer master.Close()
	mfd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("pty number: %w", err)
	}
	slavePath := filepath.Join(root, "dev/pts", fmt.Sprint(n))
	slave, err := unix.Open(slavePath, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open pty slave: %w", err)
	}
	console, err := target(root, "/dev/console", false)
	if err != nil {
		return err
	}
	if err := unix.Mount(slavePath, console, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind /dev/console: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("attach pty: %w", err)
		}
	}
	unix.Close(slave)
	unix.Setsid() // already a session leader when the parent asked for Setsid
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	return sendPTY(sock, mfd, s)
}

// sendPTY gives the pty master mfd the spec's console size and sends it
// to rpod, which copies between it and its own terminal.
func sendPTY(sock *os.File, mfd int, s *Spec) error {
	if cs := s.ConsoleSize; cs != nil {
		unix.IoctlSetWinsize(mfd, unix.TIOCSWINSZ, &unix.Winsize{Row: cs.Rows, Col: cs.Cols})
	}
	b, _ := json.Marshal(syncMsg{Type: "pty"})
	if err := unix.Sendmsg(int(sock.Fd()), b, unix.UnixRights(mfd), nil, 0); err != nil {
		return fmt.Errorf("send pty to rpod: %w", err)
	}
	return nil
}

func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("enter rootfs: %w", err)
	}
	// pivot_root(".", ".") stacks the old root under the new one; detaching
	// it leaves no path to the host's tree.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// Masked and read-only paths as podman's defaults: kernel interfaces a
// container has no business reading or writing.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback flags: %w", err)
	}
	if ifr.Uint16()&unix.IFF_UP != 0 {
		return nil // a shared network namespace (--network host, container:) is set up already
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring loopback up: %w", err)
	}
	return nil
}
