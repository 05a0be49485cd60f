package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// keepIDUID is the container uid that is the user, from the recorded map:
// inside the container /proc/self/uid_map no longer says.
func (n UserNS) keepIDUID() (uint32, bool) {
	for _, m := range n.UIDMap {
		if m.HostID == 0 && m.Size > 0 {
			return uint32(m.ContainerID), true
		}
	}
	return 0, false
}

// passwdLine is the entry keep-id adds for the user, as podman writes it:
// home is the working directory unless the user's own home is mounted.
func passwdLine(s *Spec, u ExecUser) (line, home string) {
	n := s.UserNS
	home = s.Cwd
	if home == "" {
		home = "/"
	}
	for _, m := range s.Mounts {
		if n.UserHome != "" && filepath.Clean(m.Destination) == filepath.Clean(n.UserHome) {
			home = n.UserHome
		}
	}
	return fmt.Sprintf("%s:*:%d:%d:%s:%s:/bin/sh\n", n.UserName, u.UID, u.GID, n.UserName, home), home
}

// keepIDPasswd gives keep-id's user a passwd entry when the image has none
// for its uid, so that whoami, ls -l and $HOME work: a copy of the image's
// /etc/passwd with the entry is bound over it from a tmpfs that is unmounted
// again, so that the container's layer is not changed. It runs in the init
// step after pivot_root; exec then finds the entry.
func keepIDPasswd(s *Spec, u *ExecUser) error {
	n := s.UserNS
	if n.Mode != UserNSKeepID || n.UserName == "" || strings.ContainsAny(n.UserName, ":\n") {
		return nil
	}
	if uid, ok := n.keepIDUID(); !ok || uid != u.UID {
		return nil
	}
	old, err := readSmall("/etc/passwd")
	if err != nil {
		return nil // no passwd database to extend: nothing reads one
	}
	for _, e := range parsePasswd(strings.NewReader(string(old))) {
		if e.uid == u.UID || e.name == n.UserName {
			return nil
		}
	}
	line, home := passwdLine(s, *u)
	dir, err := os.MkdirTemp("/dev", ".rpod-passwd-")
	if err != nil {
		return fmt.Errorf("keep-id passwd entry: %w", err)
	}
	defer os.Remove(dir)
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=1m,mode=755"); err != nil {
		return fmt.Errorf("keep-id passwd entry: %w", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	content := string(old)
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	p := filepath.Join(dir, "passwd")
	if err := os.WriteFile(p, []byte(content+line), 0o644); err != nil {
		return fmt.Errorf("keep-id passwd entry: %w", err)
	}
	if err := unix.Mount(p, "/etc/passwd", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("keep-id passwd entry: bind over /etc/passwd: %w", err)
	}
	u.Home = home
	return nil
}
