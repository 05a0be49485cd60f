package cgroupdelegate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where the cgroup v2 hierarchy is mounted.
const cgroupRoot = "/sys/fs/cgroup"

// readTrim is a cgroup file's content without the final newline.
func readTrim(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}

// writeCg writes value to a cgroup file; the error names file and value.
func writeCg(dir, file, value string) error {
	p := filepath.Join(dir, file)
	// No O_CREAT: a missing file is a controller that is not enabled, and
	// creating a regular file would hide that. O_TRUNC is a no-op on cgroupfs.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", value, p, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops *PathError's own copy of the path, already in our message.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ownCgroup is the cgroup v2 path ("/a/b") of pid (0: the caller).
func ownCgroup(pid int) (string, error) {
	p := "/proc/self/cgroup"
	if pid > 0 {
		p = fmt.Sprintf("/proc/%d/cgroup", pid)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	return parseProcCgroup(string(b))
}

// parseProcCgroup is the unified ("0::") entry of /proc/PID/cgroup.
func parseProcCgroup(s string) (string, error) {
	for _, line := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			if !strings.HasPrefix(rest, "/") {
				return "", fmt.Errorf("/proc/PID/cgroup: malformed line %q", line)
			}
			return rest, nil
		}
	}
	return "", errors.New("/proc/PID/cgroup: no cgroup v2 entry")
}

// fsPath is a cgroup path's directory under the v2 mount.
func fsPath(cg string) string { return filepath.Join(cgroupRoot, filepath.Clean("/"+cg)) }

// controllersOf is the list in dir's cgroup.controllers.
func controllersOf(dir string) []string {
	s, err := readTrim(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return nil
	}
	return strings.Fields(s)
}

// writable says whether the caller may manage dir as a delegated cgroup:
// make sub-cgroups, move processes, enable controllers below it.
func writable(dir string) bool {
	for _, p := range []string{dir, filepath.Join(dir, "cgroup.procs"), filepath.Join(dir, "cgroup.subtree_control")} {
		if unix.Access(p, unix.W_OK) != nil {
			return false
		}
	}
	return true
}

// mkLeaf makes dir/name (it may exist) and returns its path.
func mkLeaf(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("create cgroup %s: %w", p, unwrapPath(err))
	}
	return p, nil
}

// pidsOf is the pids in dir's cgroup.procs.
func pidsOf(dir string) ([]int, error) {
	s, err := readTrim(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(s) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids, nil
}

// movePid writes pid into dir's cgroup.procs.
func movePid(dir string, pid int) error {
	return writeCg(dir, "cgroup.procs", strconv.Itoa(pid))
}

// moveAll empties from into to; it retries because processes in from may
// fork while they are moved.
func moveAll(from, to string) error {
	for range 10 {
		pids, err := pidsOf(from)
		if err != nil {
			return fmt.Errorf("read %s: %w", filepath.Join(from, "cgroup.procs"), unwrapPath(err))
		}
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			// ESRCH: it exited meanwhile, which empties from as well.
			if err := movePid(to, pid); err != nil && !errors.Is(err, unix.ESRCH) {
				return err
			}
		}
	}
	return fmt.Errorf("cgroup %s keeps getting new processes; cannot empty it", from)
}

// enable turns on ctrls (those that dir has) for dir's children.
func enable(dir string, ctrls []string) error {
	have := controllersOf(dir)
	on, _ := readTrim(filepath.Join(dir, "cgroup.subtree_control"))
	for _, c := range ctrls {
		if !slices.Contains(have, c) || slices.Contains(strings.Fields(on), c) {
			continue
		}
		// One write each: the kernel stops at the first that fails, and
		// the error should name it.
		if err := writeCg(dir, "cgroup.subtree_control", "+"+c); err != nil {
			return err
		}
	}
	return nil
}

// rmdirQuiet removes an empty cgroup; one that is gone already is fine.
func rmdirQuiet(dir string) error {
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	return nil
}
