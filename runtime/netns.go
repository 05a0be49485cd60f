package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/proc"
)

// NetNSContainer prefixes Spec.NetNS for --network container:NAME:
// "container:ID:DIR", DIR being that container's directory, whose state
// tells its process at each start.
const NetNSContainer = "container:"

// netNSPath resolves spec.NetNS to the namespace file to join.
func netNSPath(netns string) (string, error) {
	rest, ok := strings.CutPrefix(netns, NetNSContainer)
	if !ok {
		return netns, nil
	}
	id, dir, _ := strings.Cut(rest, ":")
	short := id
	if len(short) > 12 {
		short = short[:12]
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", fail(ExitRpodError, "--network container:%s: the container is not running (or was removed): start it first", short)
	}
	if err != nil {
		return "", fmt.Errorf("--network container:%s: %w", short, err)
	}
	// The fields of State the init step needs: it is built without it (rpodinit).
	var st struct {
		Status   string `json:"status"`
		Pid      int    `json:"pid"`
		PidStart uint64 `json:"pidStart"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return "", fmt.Errorf("--network container:%s: %w", short, err)
	}
	if st.Status != "running" || st.Pid <= 0 || !proc.Alive(st.Pid, st.PidStart) {
		return "", fail(ExitRpodError, "--network container:%s: the container is not running: start it first", short)
	}
	return fmt.Sprintf("/proc/%d/ns/net", st.Pid), nil
}

// joinNetNS moves the init step into spec.NetNS (--network container:, ns:)
// before anything else, so that the command runs in it. The init step
// runs on a locked thread: setns acts on it alone, and it execs.
func joinNetNS(s *Spec) error {
	if s.NetNS == "" {
		return nil
	}
	p, err := netNSPath(s.NetNS)
	if err != nil {
		return err
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(ExitRpodError, "join network namespace %s: %v", p, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fail(ExitRpodError, "join network namespace %s: %v (is it a network namespace rpod's user namespace owns?)", p, err)
	}
	return nil
}

// mountEtcFiles binds the spec's EtcFiles from EtcDir over the image's,
// resolving the image's symlinks inside the root, as volumes are. A file
// the user mounts a volume on is the user's.
func mountEtcFiles(root string, s *Spec) error {
	if len(s.EtcFiles) == 0 || s.EtcDir == "" {
		return nil
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	rw := false
	defer func() {
		if rw {
			remountRO(root)
		}
	}()
	for _, dst := range s.EtcFiles {
		if userMounted(s, dst) {
			continue
		}
		src := filepath.Join(s.EtcDir, filepath.Base(dst))
		f, err := openTarget(real, dst, false)
		if err != nil && s.ReadOnly && !rw && errors.Is(err, unix.EROFS) {
			// --read-only: the image lacks the file and its root is
			// already read-only; make it writable while rpod adds it.
			if err := remountWritable(root); err != nil {
				return err
			}
			rw = true
			f, err = openTarget(real, dst, false)
		}
		if err != nil {
			return err
		}
		err = unix.Mount(src, procFd(f), "", unix.MS_BIND, "")
		f.Close()
		if err != nil {
			return fmt.Errorf("bind %s: %w", dst, err)
		}
	}
	return nil
}

// userMounted reports whether a user's mount covers dst.
func userMounted(s *Spec, dst string) bool {
	for _, m := range s.Mounts {
		if filepath.Clean(m.Destination) == dst {
			return true
		}
	}
	return false
}

// remountWritable undoes remountRO on the root, keeping the flags the
// kernel locked.
func remountWritable(p string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", p, err)
	}
	keep := uintptr(st.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|keep, ""); err != nil {
		return fmt.Errorf("remount %s writable to add /etc files: %w", p, err)
	}
	return nil
}
