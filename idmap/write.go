package idmap

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// CheckHelper verifies that the setuid helper (newuidmap or newgidmap) can do
// its job, so that a broken install is reported with its fix instead of as an
// obscure "write to uid_map failed" later. The helper must be in $PATH and be
// setuid root or carry file capabilities. It returns the helper's absolute path.
func CheckHelper(name string) (string, error) {
	p, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrNotFound) {
		return "", &CheckError{Check: name, Found: name + " not found in $PATH", Fix: "install the uidmap package: " + FixInstallHelpers, Err: err}
	}
	if err != nil && !errors.Is(err, exec.ErrDot) {
		return "", fmt.Errorf("looking up %s: %w", name, err)
	}
	// A relative $PATH entry is fine here: we run the helper by absolute path.
	if p, err = filepath.Abs(p); err != nil {
		return "", fmt.Errorf("looking up %s: %w", name, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("checking %s: %w", name, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	setuidRoot := ok && st.Uid == 0 && fi.Mode()&os.ModeSetuid != 0
	if !setuidRoot && !hasFileCaps(p) {
		return "", &CheckError{Check: name, Found: p + " is not setuid root and has no file capabilities", Fix: FixHelperPrivilege(p)}
	}
	// On a nosuid mount the kernel ignores both the setuid bit and file
	// capabilities, which would otherwise look like a permission mystery.
	var sfs unix.Statfs_t
	if unix.Statfs(p, &sfs) == nil && sfs.Flags&unix.ST_NOSUID != 0 {
		return "", &CheckError{Check: name, Found: p + " is on a nosuid mount, so its privileges are ignored", Fix: "use a " + name + " from a filesystem mounted without nosuid"}
	}
	return p, nil
}

// hasFileCaps reports whether p carries a security.capability xattr; any
// error (no such attribute, no xattr support) means it does not.
func hasFileCaps(p string) bool {
	n, err := unix.Getxattr(p, "security.capability", nil)
	return err == nil && n > 0
}

// WriteMaps installs maps on process pid. A map holding only the caller's own
// ID with size 1 is written to /proc directly, which the kernel allows without
// privilege; anything larger goes through newuidmap/newgidmap, the only
// unprivileged way to use subordinate IDs. An empty map is left unwritten.
func WriteMaps(pid int, uidMaps, gidMaps []Mapping) error {
	if err := writeMap(pid, "uid", uidMaps, uint32(os.Geteuid())); err != nil {
		return err
	}
	return writeMap(pid, "gid", gidMaps, uint32(os.Getegid()))
}

// writeMap installs one map; kind is "uid" or "gid".
func writeMap(pid int, kind string, maps []Mapping, own uint32) error {
	if len(maps) == 0 {
		return nil
	}
	if len(maps) == 1 && maps[0].Size == 1 && maps[0].HostID == own {
		if kind == "gid" {
			// Unprivileged writers may only set gid_map once setgroups
			// is denied, or they could drop supplementary groups used
			// to deny them access.
			if err := writeProc(pid, "setgroups", "deny"); err != nil {
				return err
			}
		}
		m := maps[0]
		return writeProc(pid, kind+"_map", fmt.Sprintf("%d %d %d\n", m.ContainerID, m.HostID, m.Size))
	}
	return runHelper(pid, "new"+kind+"map", maps, own)
}

// writeProc writes data to /proc/PID/name in one write(2), as the kernel
// accepts only a single write to the map files.
func writeProc(pid int, name, data string) error {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/%s", pid, name), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("setting %s of process %d: %w", name, pid, err)
	}
	_, err = f.Write([]byte(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("setting %s of process %d: %w", name, pid, err)
	}
	return nil
}

// runHelper runs newuidmap/newgidmap PID ID HOSTID COUNT [ID HOSTID COUNT]...
func runHelper(pid int, name string, maps []Mapping, own uint32) error {
	path, err := CheckHelper(name)
	if err != nil {
		return err
	}
	args := []string{strconv.Itoa(pid)}
	for _, m := range maps {
		args = append(args,
			strconv.FormatUint(uint64(m.ContainerID), 10),
			strconv.FormatUint(uint64(m.HostID), 10),
			strconv.FormatUint(uint64(m.Size), 10))
	}
	var stderr bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		herr := &helperError{
			cmd:    name + " " + strings.Join(args, " "),
			stderr: oneLine(stderr.String(), name),
			err:    err,
		}
		if ce := explainHelperFailure(strings.TrimSuffix(strings.TrimPrefix(name, "new"), "map"), maps, own, herr); ce != nil {
			return ce
		}
		return herr
	}
	return nil
}

// helperError shows the helper's own explanation, which says far more than
// its exit status, while still unwrapping to the underlying exec error.
type helperError struct {
	cmd, stderr string
	err         error
}

func (e *helperError) Error() string {
	if e.stderr == "" {
		return e.cmd + ": " + e.err.Error()
	}
	return e.cmd + ": " + e.stderr
}

func (e *helperError) Unwrap() error { return e.err }

// oneLine folds helper output into one line and drops the "name: " prefix
// the helper puts on its messages, since the error already names the command.
func oneLine(s, name string) string {
	var lines []string
	for l := range strings.Lines(s) {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, name+": ")
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}
