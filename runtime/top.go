package runtime

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// TopProcess is one process of a running container as top shows it; Pid and
// Ppid are as the container sees them, HostPid as rpod does.
type TopProcess struct {
	HostPid, Pid, Ppid, Pgid int
	Uid, Gid                 int
	User, Group              string
	Comm                     string
	Args                     []string
	Tty                      string
	State                    string
	Nice                     int
	CPUTime, Elapsed         time.Duration
	VSZ, RSS                 int64 // KiB
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

// Processes lists the container's first process and its descendants.
func (c *Container) Processes() ([]TopProcess, error) {
	s := c.State()
	if s.Status != "running" || s.Pid <= 0 {
		return nil, fmt.Errorf("top can only be used on running containers: %s is %s", c.Name, s.Status)
	}
	children := map[int][]int{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("read /proc: %w", err)
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, err := statFields(pid); err == nil {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], pid)
		}
	}
	users, groups := c.accounts(s.Pid)
	uptime := readUptime()
	nsPid := map[int]int{}
	var out []TopProcess
	queue := []int{s.Pid}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		queue = append(queue, children[pid]...)
		p, hostPpid, err := readProcess(pid, uptime)
		if err != nil {
			continue // exited while we looked
		}
		nsPid[pid] = p.Pid
		p.Ppid = nsPid[hostPpid] // 0 for the first process, whose parent is outside
		p.User = nameOr(users, p.Uid)
		p.Group = nameOr(groups, p.Gid)
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("top: the processes of %s have exited", c.Name)
	}
	return out, nil
}

func nameOr(names map[int]string, id int) string {
	if n, ok := names[id]; ok {
		return n
	}
	return strconv.Itoa(id)
}

// statFields are the fields of /proc/PID/stat after the command, from state on.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 22 {
		return nil, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return f, nil
}

func readProcess(pid int, uptime time.Duration) (TopProcess, int, error) {
	f, err := statFields(pid)
	if err != nil {
		return TopProcess{}, 0, err
	}
	atoi := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	p := TopProcess{HostPid: pid, Pid: pid, Uid: -1, Gid: -1, State: f[0]}
	hostPpid := int(atoi(f[1]))
	p.Pgid = int(atoi(f[2]))
	p.Tty = ttyName(atoi(f[4]))
	p.CPUTime = time.Duration(atoi(f[11])+atoi(f[12])) * time.Second / clockTicks
	p.Nice = int(atoi(f[16]))
	p.Elapsed = uptime - time.Duration(atoi(f[19]))*time.Second/clockTicks
	if p.Elapsed < 0 {
		p.Elapsed = 0
	}
	p.VSZ = atoi(f[20]) / 1024
	p.RSS = atoi(f[21]) * int64(os.Getpagesize()) / 1024
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return TopProcess{}, 0, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(l, ":")
		vs := strings.Fields(v)
		if len(vs) == 0 {
			continue
		}
		switch k {
		case "Name":
			p.Comm = strings.TrimSpace(v)
		case "NSpid":
			p.Pid = int(atoi(vs[len(vs)-1]))
		case "NSpgid":
			p.Pgid = int(atoi(vs[len(vs)-1]))
		case "Uid":
			if len(vs) > 1 {
				p.Uid = int(atoi(vs[1])) // effective, as ps's user
			}
		case "Gid":
			if len(vs) > 1 {
				p.Gid = int(atoi(vs[1]))
			}
		}
	}
	if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(cl) > 0 {
		p.Args = strings.Split(strings.TrimRight(string(cl), "\x00"), "\x00")
	}
	return p, hostPpid, nil
}

// ttyName decodes tty_nr as ps does; "?" when there is none.
func ttyName(nr int64) string {
	major := (nr >> 8) & 0xfff
	minor := (nr & 0xff) | ((nr >> 12) & 0xfff00)
	switch {
	case nr == 0:
		return "?"
	case major >= 136 && major <= 143:
		return fmt.Sprintf("pts/%d", minor+(major-136)*256)
	case major == 4 && minor < 64:
		return fmt.Sprintf("tty%d", minor)
	case major == 4:
		return fmt.Sprintf("ttyS%d", minor-64)
	}
	return "?"
}

func readUptime() time.Duration {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	s, _ := strconv.ParseFloat(f[0], 64)
	return time.Duration(s * float64(time.Second))
}

// accounts reads the container's /etc/passwd and /etc/group through its
// first process's root, resolving every path inside that root so that the
// image's symlinks cannot point rpod at the host's files.
func (c *Container) accounts(pid int) (users, groups map[int]string) {
	users, groups = map[int]string{}, map[int]string{}
	root, err := unix.Open(fmt.Sprintf("/proc/%d/root", pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(root)
	read := func(p string) io.Reader {
		fd, err := openInRoot(root, p, unix.O_RDONLY|unix.O_CLOEXEC)
		if err != nil {
			return strings.NewReader("")
		}
		f := os.NewFile(uintptr(fd), p)
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, 16<<20))
		return bytes.NewReader(b)
	}
	for _, e := range parsePasswd(read("etc/passwd")) {
		if _, ok := users[int(e.uid)]; !ok {
			users[int(e.uid)] = e.name
		}
	}
	for _, e := range parseGroup(read("etc/group")) {
		if _, ok := groups[int(e.gid)]; !ok {
			groups[int(e.gid)] = e.name
		}
	}
	return
}
