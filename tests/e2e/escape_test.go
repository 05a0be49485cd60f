package e2e

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rpod/rpod/internal/fixture"
)

// Escape attempts (issue 10): each test tries one way out of a container and
// checks from the host that it failed. docs/security.md ("Escape tests")
// lists every attempt and the test that covers it, here or elsewhere.

// escapeProbe is a static helper bind-mounted into containers: busybox has
// no ptrace, open_by_handle_at, keyctl, userfaultfd or clone flags. Each
// argument is one attempt; it prints "attempt=ok" or "attempt=ERRNO-NAME".
const escapeProbe = `package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

func errname(e error) string {
	if e == nil {
		return "ok"
	}
	if n, ok := e.(syscall.Errno); ok {
		switch n {
		case syscall.EPERM:
			return "EPERM"
		case syscall.ESRCH:
			return "ESRCH"
		case syscall.ENOSYS:
			return "ENOSYS"
		case syscall.EACCES:
			return "EACCES"
		case syscall.ENOENT:
			return "ENOENT"
		case syscall.EINVAL:
			return "EINVAL"
		}
		return fmt.Sprintf("errno%d", int(n))
	}
	return e.Error()
}

func raw(trap, a1, a2, a3, a4, a5 uintptr) error {
	_, _, e := syscall.Syscall6(trap, a1, a2, a3, a4, a5, 0)
	if e != 0 {
		return e
	}
	return nil
}

func main() {
	for _, a := range os.Args[1:] {
		op, arg, _ := strings.Cut(a, ":")
		var err error
		switch op {
		case "ptrace":
			pid, _ := strconv.Atoi(arg)
			err = syscall.PtraceAttach(pid)
			if err == nil {
				syscall.PtraceDetach(pid)
			}
		case "handle":
			// The "shocker" attack: a forged handle to inode 2 (a
			// filesystem's root) opened relative to a host mount.
			buf := make([]byte, 8+8)
			*(*uint32)(unsafe.Pointer(&buf[0])) = 8
			*(*int32)(unsafe.Pointer(&buf[4])) = 1 // FILEID_INO32_GEN
			*(*uint32)(unsafe.Pointer(&buf[8])) = 2
			fd, _, e := syscall.Syscall(304, uintptr(0xffffff9c), uintptr(unsafe.Pointer(&buf[0])), syscall.O_RDONLY)
			if e != 0 {
				err = e
			} else {
				syscall.Close(int(fd))
			}
		case "name_to_handle":
			buf := make([]byte, 8+128)
			*(*uint32)(unsafe.Pointer(&buf[0])) = 128
			var mnt int32
			p, _ := syscall.BytePtrFromString("/")
			err = raw(303, uintptr(0xffffff9c), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&mnt)), 0)
		case "keyctl":
			// KEYCTL_GET_KEYRING_ID of the session keyring, creating it.
			err = raw(250, 0, ^uintptr(2), 1, 0, 0)
		case "add_key":
			t, _ := syscall.BytePtrFromString("user")
			d, _ := syscall.BytePtrFromString("rpod")
			err = raw(248, uintptr(unsafe.Pointer(t)), uintptr(unsafe.Pointer(d)), 0, 0, ^uintptr(2))
		case "userfaultfd":
			fd, _, e := syscall.Syscall(323, 0, 0, 0)
			if e != 0 {
				err = e
			} else {
				syscall.Close(int(fd))
			}
		case "clone_newuser", "clone_newns", "clone_newpid":
			flag := map[string]uintptr{"clone_newuser": syscall.CLONE_NEWUSER, "clone_newns": syscall.CLONE_NEWNS, "clone_newpid": syscall.CLONE_NEWPID}[op]
			var pid int
			pid, err = syscall.ForkExec("/probe", []string{"/probe"}, &syscall.ProcAttr{Sys: &syscall.SysProcAttr{Cloneflags: flag}})
			if err == nil {
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
			}
		case "unshare_user":
			err = syscall.Unshare(syscall.CLONE_NEWUSER)
		case "setns":
			fd, e := syscall.Open("/proc/1/ns/mnt", syscall.O_RDONLY, 0)
			if e != nil {
				err = e
				break
			}
			err = raw(308, uintptr(fd), 0, 0, 0, 0)
		case "sethostname":
			err = syscall.Sethostname([]byte(arg))
		case "open":
			fd, e := syscall.Open(arg, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
			if e == nil {
				syscall.Close(fd)
			}
			err = e
		case "kill0":
			pid, _ := strconv.Atoi(arg)
			err = syscall.Kill(pid, 0)
		default:
			err = fmt.Errorf("unknown-op")
		}
		fmt.Printf("%s=%s\n", a, errname(err))
	}
}
`

// probe builds escapeProbe once per test and returns the -v flag binding it at /probe.
func probe(t *testing.T) string {
	t.Helper()
	return buildStatic(t, "probe", escapeProbe) + ":/probe:ro"
}

// attempts parses the probe's "attempt=result" lines.
func attempts(t *testing.T, r result) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(r.Out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// canary is a file of the test user's outside every mount, with its content.
func canary(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	os.Chmod(dir, 0o755)
	path = filepath.Join(dir, "canary")
	writeFile(t, path, "canary\n")
	return dir, path
}

// checkCanary fails if the canary changed or its directory gained a file.
func checkCanary(t *testing.T, dir, path string) {
	t.Helper()
	if b, err := os.ReadFile(path); err != nil || string(b) != "canary\n" {
		t.Errorf("the host's canary %s changed: %q %v", path, b, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the canary's directory gained files: %v", names)
	}
}

// hostSleeper starts a host process of the test user with its cwd in dir, for /proc/PID/cwd attempts.
func hostSleeper(t *testing.T, dir string) int {
	t.Helper()
	c := exec.Command("sleep", "600")
	c.Dir = dir
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c.Process.Pid
}

// TestEscapeWriteHostFile tries to write a host file outside the mounts
// through /proc/1/root, /proc/self/root, a host process's /proc/PID/cwd and
// root, and ../ climbing, by default and with --privileged.
func TestEscapeWriteHostFile(t *testing.T) {
	dir, path := canary(t)
	pid := hostSleeper(t, dir)
	targets := []string{
		"/proc/1/root" + path,
		"/proc/self/root" + path,
		"/proc/1/cwd/../../../../../.." + path,
		fmt.Sprintf("/proc/%d/cwd/canary", pid),
		fmt.Sprintf("/proc/%d/root%s", pid, path),
		"/../../../../../.." + path,
		path,
	}
	script := fmt.Sprintf(`cd /; for p in %s; do mkdir -p "$(dirname "$p")" 2>/dev/null; echo pwned > "$p" 2>/dev/null && echo "WROTE $p"; done
cat %s; ls /proc/%d >/dev/null 2>&1 && echo HOSTPID-VISIBLE; true`, strings.Join(targets, " "), path, pid)
	for _, flags := range [][]string{nil, {"--privileged"}, {"--security-opt", "seccomp=unconfined"}} {
		r := inContainer(t, script, flags...)
		if r.Code != 0 {
			t.Fatalf("%v: exit %d: %s", flags, r.Code, r.Err)
		}
		t.Logf("%v: %s", flags, strings.ReplaceAll(strings.TrimSpace(r.Out), "\n", "; "))
		if strings.Contains(r.Out, "HOSTPID-VISIBLE") {
			t.Errorf("%v: the host process %d is visible", flags, pid)
		}
		checkCanary(t, dir, path)
	}
}

// TestEscapeFileHandles: open_by_handle_at with a forged handle (the
// "shocker" attack) and name_to_handle_at are refused, by seccomp and, with
// the filter off, by the kernel (CAP_DAC_READ_SEARCH of the host's namespace).
func TestEscapeFileHandles(t *testing.T) {
	p := probe(t)
	for _, flags := range [][]string{nil, {"--privileged"}} {
		args := append(append([]string{"run", "--rm", "-v", p}, flags...), "busybox", "/probe", "handle", "name_to_handle")
		r := rpod(t, args...)
		a := attempts(t, r)
		if a["handle"] == "ok" || a["handle"] == "" {
			t.Errorf("%v: open_by_handle_at: %q (%s%s)", flags, a["handle"], r.Out, r.Err)
		}
		if flags == nil && (a["handle"] != "EPERM" || a["name_to_handle"] != "EPERM") {
			t.Errorf("default seccomp: %v, want EPERM for both", a)
		}
	}
}

// TestEscapeSignalPtraceHost: a host process is invisible (ESRCH) to kill and
// ptrace, with and without --privileged; with --pid host a process of
// another user (the host's pid 1) still cannot be signalled or traced.
func TestEscapeSignalPtraceHost(t *testing.T) {
	p := probe(t)
	dir := t.TempDir()
	pid := hostSleeper(t, dir)
	for _, flags := range [][]string{nil, {"--privileged"}, {"--cap-add", "SYS_PTRACE"}} {
		args := append(append([]string{"run", "--rm", "-v", p}, flags...), "busybox", "/probe",
			"kill0:"+strconv.Itoa(pid), "ptrace:"+strconv.Itoa(pid))
		a := attempts(t, rpod(t, args...))
		for _, k := range []string{"kill0:", "ptrace:"} {
			if got := a[k+strconv.Itoa(pid)]; got != "ESRCH" {
				t.Errorf("%v: %s%d: %q, want ESRCH", flags, k, pid, got)
			}
		}
	}
	if st, err := os.Stat("/proc/1"); err == nil && st.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
		a := attempts(t, rpod(t, "run", "--rm", "--pid", "host", "-v", p, "busybox", "/probe", "kill0:1", "ptrace:1"))
		if a["kill0:1"] != "EPERM" || a["ptrace:1"] != "EPERM" {
			t.Errorf("--pid host, another user's pid 1: %v, want EPERM", a)
		}
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Errorf("the host process died: %v", err)
	}
}

// TestEscapeMountProcSysfs: mounting proc or sysfs fails by default; with
// --privileged it succeeds but shows the container's own pid and network
// namespaces, never the host's.
func TestEscapeMountProcSysfs(t *testing.T) {
	dir := t.TempDir()
	pid := hostSleeper(t, dir)
	r := inContainer(t, `mkdir /m; mount -t proc proc /m; echo proc=$?; mount -t sysfs sysfs /m; echo sysfs=$?`)
	mustContain(t, "default", r, "proc=", "sysfs=")
	if strings.Contains(r.Out, "proc=0") || strings.Contains(r.Out, "sysfs=0") {
		t.Errorf("mount of proc or sysfs succeeded without --privileged:\n%s", r.Out)
	}
	r = inContainer(t, fmt.Sprintf(`mkdir /m /s; mount -t proc proc /m && echo mounted; ls -d /m/[0-9]* | wc -l; [ -e /m/%d ] && echo HOSTPID-VISIBLE
mount -t sysfs sysfs /s && echo sysmounted && ls /s/class/net; true`, pid), "--privileged")
	// proc mounts (the container's pid namespace); sysfs is refused by the
	// kernel when the container's /sys is not fully visible, or mounts the
	// container's network namespace.
	mustContain(t, "--privileged", r, "mounted\n")
	if strings.Contains(r.Out, "HOSTPID-VISIBLE") {
		t.Errorf("--privileged proc mount shows the host process %d:\n%s", pid, r.Out)
	}
	host, _ := os.ReadDir("/sys/class/net")
	for _, h := range host {
		if n := h.Name(); n != "lo" && strings.Contains(r.Out, "\n"+n+"\n") {
			t.Errorf("--privileged sysfs mount lists the host's interface %s:\n%s", n, r.Out)
		}
	}
	t.Logf("--privileged: %s", strings.ReplaceAll(strings.TrimSpace(r.Out), "\n", "; "))
}

// TestEscapeHostDevices: no host device is there, none can be made with
// mknod, and --privileged gives only those the user may open on the host.
func TestEscapeHostDevices(t *testing.T) {
	devs := []string{"/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/loop0", "/dev/loop-control", "/dev/tty0", "/dev/console", "/dev/hwrng", "/dev/cpu_dma_latency"}
	p := probe(t)
	var opens []string
	for _, d := range devs {
		opens = append(opens, "open:"+d)
	}
	a := attempts(t, rpod(t, append([]string{"run", "--rm", "-v", p, "busybox", "/probe"}, opens...)...))
	for _, o := range opens {
		if a[o] != "ENOENT" {
			t.Errorf("default: %s: %q, want ENOENT (not in the container's /dev)", o, a[o])
		}
	}
	// What the user cannot open on the host stays closed with --privileged.
	a = attempts(t, rpod(t, append([]string{"run", "--rm", "--privileged", "-v", p, "busybox", "/probe"}, opens...)...))
	for _, d := range devs {
		f, err := os.OpenFile(d, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			f.Close()
			continue
		}
		if a["open:"+d] == "ok" {
			t.Errorf("--privileged opens %s, which the user cannot open on the host (%v)", d, err)
		}
	}
	// mknod of a block or char device: EPERM for lack of CAP_MKNOD, and in a
	// user namespace even with every capability.
	for _, flags := range [][]string{nil, {"--privileged"}, {"--cap-add", "MKNOD"}} {
		r := inContainer(t, `mknod /tmp/vda b 254 0; echo blk=$?; mknod /tmp/mem c 1 1; echo chr=$?; mount /tmp/vda /mnt 2>/dev/null; echo mount=$?; ls /mnt | wc -l`, flags...)
		mustContain(t, fmt.Sprint(flags), r, "blk=1", "chr=1", "\n0\n")
		if strings.Contains(r.Out, "mount=0") {
			t.Errorf("%v: a host disk mounted:\n%s", flags, r.Out)
		}
	}
}

// TestEscapeHostname: only a privileged container changes its own hostname;
// with --uts host sethostname is refused even then.
func TestEscapeHostname(t *testing.T) {
	before, _ := os.Hostname()
	// Without CAP_SYS_ADMIN even the container's own hostname is fixed (as in podman).
	r := inContainer(t, `hostname rpod-escape; echo set=$?; hostname`)
	mustContain(t, "own uts", r, "set=1")
	r = inContainer(t, `hostname rpod-escape && hostname`, "--privileged")
	mustContain(t, "own uts, --privileged", r, "rpod-escape")
	r = inContainer(t, `hostname rpod-escape; echo set=$?; hostname`, "--uts", "host")
	mustContain(t, "--uts host", r, "set=1", before)
	r = inContainer(t, `hostname rpod-escape; echo set=$?`, "--uts", "host", "--privileged")
	mustContain(t, "--uts host --privileged", r, "set=1")
	if after, _ := os.Hostname(); after != before {
		t.Errorf("the host's hostname changed: %q -> %q", before, after)
	}
}

// TestEscapeSeccompNamespaces: keyrings, userfaultfd, new namespaces and
// setns are refused by the default filter (docs/security.md); busybox's
// unshare agrees.
func TestEscapeSeccompNamespaces(t *testing.T) {
	p := probe(t)
	ops := []string{"keyctl", "add_key", "userfaultfd", "unshare_user", "clone_newuser", "clone_newns", "clone_newpid", "setns"}
	for _, user := range []string{"0", "1000"} {
		a := attempts(t, rpod(t, append([]string{"run", "--rm", "--user", user, "-v", p, "busybox", "/probe"}, ops...)...))
		for _, o := range ops {
			if a[o] != "EPERM" {
				t.Errorf("--user %s: %s: %q, want EPERM", user, o, a[o])
			}
		}
	}
	r := inContainer(t, `unshare -U true; echo u=$?; unshare -m true; echo m=$?; unshare -r -U id; echo r=$?`)
	mustContain(t, "busybox unshare", r, "u=1", "m=1", "r=1")
}

// TestEscapeCpSymlinks: cp out of a container through links that climb or
// point to absolute host paths reads the container's files; a tar stream
// with ../, absolute and link-through entries stays inside.
func TestEscapeCpSymlinks(t *testing.T) {
	dir, path := canary(t)
	cpContainer(t, "cp-escape2", fmt.Sprintf(
		`ln -s /etc/passwd /pw; ln -s ../../../../.. /up; ln -s %s /hostcanary; ln -s %s /hostdir; mkdir -p %s; echo inner > %s`,
		path, dir, dir, path))
	ok(t, baseEnv, "start", "-a", "cp-escape2")
	me := strings.TrimSpace(func() string { b, _ := exec.Command("id", "-un").Output(); return string(b) }())
	out := t.TempDir()
	for _, src := range []string{"/pw", "/up/etc/passwd", "/up/../etc/passwd"} {
		dst := filepath.Join(out, strings.ReplaceAll(src, "/", "_"))
		ok(t, baseEnv, "cp", "cp-escape2:"+src, dst)
		b, err := os.ReadFile(dst)
		if errors.Is(err, fs.ErrNotExist) {
			t.Logf("cp %s out: nothing written", src)
		}
		if fi, _ := os.Lstat(dst); fi != nil && fi.Mode()&os.ModeSymlink != 0 {
			continue // a link copied as a link is no read of the host
		}
		if me != "" && strings.Contains(string(b), me+":") {
			t.Errorf("cp %s read the host's /etc/passwd (has %s)", src, me)
		}
	}
	for _, src := range []string{"/hostcanary", "/hostdir/canary", "/up" + path} {
		dst := filepath.Join(out, "c"+strings.ReplaceAll(src, "/", "_"))
		ok(t, baseEnv, "cp", "cp-escape2:"+src, dst)
		if fi, _ := os.Lstat(dst); fi != nil && fi.Mode()&os.ModeSymlink != 0 {
			continue
		}
		b, err := os.ReadFile(dst)
		if errors.Is(err, fs.ErrNotExist) {
			// rpod cp copies a symlink source as a link (podman does too);
			// today a link to an absolute path lands as nothing at all.
			t.Logf("cp %s out: nothing written", src)
			continue
		}
		if string(b) != "inner\n" {
			t.Errorf("cp %s out: %q %v, want the container's own file", src, b, err)
		}
	}
	// A hostile tar into the container.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("pwned\n")
	for _, h := range []*tar.Header{
		{Name: "../../../../../.." + path, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))},
		{Name: path, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))},
		{Name: "esc", Typeflag: tar.TypeSymlink, Linkname: dir},
		{Name: "esc/canary", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))},
		{Name: "esc/new", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))},
		{Name: "rel", Typeflag: tar.TypeSymlink, Linkname: "../../../../../.." + dir},
		{Name: "rel/new2", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))},
		{Name: "hl", Typeflag: tar.TypeLink, Linkname: "../../../../../.." + path},
	} {
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	r := run(baseEnv, bytes.NewReader(buf.Bytes()), "cp", "-", "cp-escape2:/tmp")
	t.Logf("hostile tar into the container: exit %d %s", r.Code, strings.TrimSpace(r.Err))
	if r.Code != 0 && r.Code != 125 {
		t.Errorf("cp of a hostile tar: exit %d", r.Code)
	}
	checkCanary(t, dir, path)
	if r := run(baseEnv, nil, "cp", "cp-escape2:/tmp", "-"); r.Code == 0 {
		var names []string
		tr := tar.NewReader(strings.NewReader(r.Out))
		for h, err := tr.Next(); err == nil; h, err = tr.Next() {
			names = append(names, h.Name+map[bool]string{true: " -> " + h.Linkname}[h.Linkname != ""])
		}
		t.Logf("the container's /tmp after it: %v", names)
	}
	for _, f := range []string{"/etc/passwd", "/tmp/new", "/tmp/new2"} {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), "pwned") {
			t.Errorf("hostile tar wrote the host's %s", f)
		}
	}
}

// TestEscapeVolumeSymlinkSource: a host directory bound with -v whose
// content is a link to the host's files is read as the link says (the
// user's own view); a link the container makes in a volume cannot be used by
// a later -v target to mount over a host path.
func TestEscapeVolumeSymlinkSource(t *testing.T) {
	dir, path := canary(t)
	vol := t.TempDir()
	os.Chmod(vol, 0o777)
	// The container, as root, plants a link in the bound directory pointing at the host's canary.
	ok(t, baseEnv, "run", "--rm", "-v", vol+":/v", "busybox", "sh", "-c", fmt.Sprintf("ln -s %s /v/link; ln -s ../../../../../..%s /v/rel", path, dir))
	// Writing through them in a later container stays in the container's root.
	r := inContainer(t, "echo pwned > /v/link; echo pwned > /v/rel/canary; echo pwned > /v/rel/new; true", "-v", vol+":/v")
	t.Logf("write through planted links: exit %d %s", r.Code, strings.TrimSpace(r.Err))
	checkCanary(t, dir, path)
	// A -v target inside the volume through the planted link mounts in the container's root, not the host's.
	host := t.TempDir()
	r = run(baseEnv, nil, "run", "--rm", "-v", vol+":/v", "-v", host+":/v/rel/mnt", "busybox", "true")
	t.Logf("-v target through a planted link: exit %d %s", r.Code, strings.TrimSpace(r.Err))
	checkCanary(t, dir, path)
	if _, err := os.Stat(filepath.Join(dir, "mnt")); err == nil {
		t.Errorf("a -v target through a link created %s/mnt on the host", dir)
	}
}

// maliciousImages are the hostile fixture images the suite's registry serves.
func maliciousImages() []string {
	var names []string
	for n := range fixture.MaliciousImages {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// maliciousCanary (re)creates fixture.MaliciousCanaryDir with its canary.
func maliciousCanary(t *testing.T) (dir, path string) {
	t.Helper()
	dir = fixture.MaliciousCanaryDir
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "canary")
	writeFile(t, path, "canary\n")
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir, path
}

// refusals are the reasons rpod gives for the hostile layers the store refuses.
var refusals = map[string]string{
	"evil-hardlink":     `hard link "hl" points outside the layer ("../../`,
	"evil-hardlink-abs": `hard link "hlabs" points outside the layer ("` + fixture.MaliciousCanaryDir + `/canary")`,
	"evil-sparse":       `entry "big/sparse" is an old GNU sparse file (tar type "S"), which cannot be extracted`,
}

// refused checks a failed pull: exit 125 and an Error line, last, saying
// the image is refused, which layer and, for the known tricks, why. (A
// library's own log line may precede it: containers/storage logs a failed
// layer at error level before returning the error.)
func refused(t *testing.T, img string, r result) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.Err), "\n")
	last := lines[len(lines)-1]
	if r.Code != 125 || !strings.HasPrefix(last, "Error: ") || strings.Count(r.Err, "Error: ") != 1 {
		t.Errorf("%s: pull exit %d, want 0 or 125 with one Error line:\n%s", img, r.Code, r.Err)
	}
	if !strings.Contains(last, "/"+img+":latest refused: layer sha256:") || !strings.Contains(last, refusals[img]) {
		t.Errorf("%s: want \"Error: image .../%s:latest refused: layer sha256:...: %s...\", got:\n%s", img, img, refusals[img], last)
	}
	if len(lines) > 1 {
		t.Logf("%s: %d lines on stderr before the Error line", img, len(lines)-1)
	}
	t.Logf("%s: refused: %s", img, last)
}

// pulledOrRefused checks a pull of a hostile image: it succeeds, or fails
// with one clear Error line naming the layer problem.
func pulledOrRefused(t *testing.T, env []string, img string) bool {
	t.Helper()
	r := run(env, nil, "pull", "-q", img)
	if r.Code == 0 {
		t.Logf("%s: pulled", img)
		return true
	}
	refused(t, img, r)
	return false
}

// TestEscapeMaliciousLayers pulls and runs images whose layers climb out
// with ../ and absolute paths, write through symlinks, hard-link host files
// and carry device nodes: each is refused or extracted inside the store,
// the host's canary stays untouched and no device node is created.
func TestEscapeMaliciousLayers(t *testing.T) {
	dir, path := maliciousCanary(t)
	env := newWorld(t)
	probes := map[string]string{
		"evil-dotdot":       `ls -la / | grep -c dotdot; find / -xdev -name dotdot`,
		"evil-abs":          `cat /tmp/rpod-malicious-canary/abs; ls -l /abslink; echo pwned > /abslink; echo wrote=$?`,
		"evil-symlink":      `ls -l /escape /up; cat /escape/through /escape/next-layer; echo pwned > /escape/canary; echo wrote=$?`,
		"evil-hardlink":     `ls -li /hl; echo pwned >> /hl; echo wrote=$?`,
		"evil-hardlink-abs": `ls -li /hlabs; echo pwned >> /hlabs; echo wrote=$?`,
		"evil-devices":      `ls -l /devmem /devdisk /devkmsg /fifo; head -c 16 /devmem | wc -c; head -c 16 /devdisk | wc -c`,
	}
	for _, img := range maliciousImages() {
		script, ok := probes[img]
		if !ok {
			continue // evil-sparse: TestEscapeSparseLayer
		}
		if pulledOrRefused(t, env, img) {
			r := run(env, nil, "run", "--rm", img, "sh", "-c", script+"; true")
			t.Logf("%s in a container: exit %d\n%s%s", img, r.Code, r.Out, r.Err)
		}
		checkCanary(t, dir, path)
	}
	// Device nodes are never created rootless (containers/storage skips them).
	graph := filepath.Join(getenv(env, "XDG_DATA_HOME"), "rpod")
	out := ok(t, env, "unshare", "find", graph, "(", "-type", "b", "-o", "-type", "c", ")", "-print")
	if strings.TrimSpace(out) != "" {
		t.Errorf("device nodes in the store:\n%s", out)
	}
	// The store is still consistent and usable.
	ok(t, env, "images")
	ok(t, env, "run", "--rm", "busybox", "true")
}

// TestEscapeSparseLayer pulls an image holding a 4 GiB sparse file into a
// store on a 256 MiB tmpfs (so that a hole-less extraction cannot fill the
// real disk): it is refused clearly or kept sparse, the store's filesystem
// is not filled, and the store stays usable.
func TestEscapeSparseLayer(t *testing.T) {
	env := newWorld(t)
	small := filepath.Join(getenv(env, "XDG_DATA_HOME"), "small")
	os.MkdirAll(small, 0o700)
	ok(t, env, "unshare", "mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", small)
	t.Cleanup(func() { run(env, nil, "unshare", "umount", "-l", small) })
	st := []string{"--root", filepath.Join(small, "graph"), "--storage-driver", "vfs"}
	r := run(env, nil, append(st, "pull", "-q", "evil-sparse")...)
	t.Logf("pull into a 256 MiB store: exit %d %s", r.Code, strings.TrimSpace(r.Err))
	if r.Code == 0 {
		out := ok(t, env, append(st, "run", "--rm", "evil-sparse", "sh", "-c", "ls -l /big/sparse; du -k /big/sparse; tail -c 512 /big/sparse | head -c 4")...)
		t.Logf("sparse file in a container: %s", out)
		if !strings.Contains(out, strconv.FormatInt(fixture.SparseSize, 10)) || !strings.HasSuffix(out, "tail") {
			t.Errorf("the sparse file is not whole:\n%s", out)
		}
	} else {
		refused(t, "evil-sparse", r)
	}
	df := ok(t, env, "unshare", "df", "-k", small)
	t.Logf("store filesystem after the pull:\n%s", df)
	if f := strings.Fields(df); len(f) < 12 || f[11] == "100%" {
		t.Errorf("the sparse layer filled the store's filesystem:\n%s", df)
	}
	// Whatever happened, the store works afterwards.
	ok(t, env, append(st, "pull", "-q", "busybox")...)
	ok(t, env, append(st, "run", "--rm", "busybox", "true")...)
	ok(t, env, append(st, "images")...)
}

// TestEscapeInheritedDescriptor: a descriptor of a host directory that
// rpod's caller left open (no close-on-exec) does not reach the command, in
// rpod run or rpod exec; through /proc/self/fd it would lead out of the
// container's root to the host's files.
func TestEscapeInheritedDescriptor(t *testing.T) {
	dir, path := canary(t)
	script := `for fd in 7 8; do [ -e /proc/self/fd/$fd ] && echo "INHERITED $fd"; done; cat /proc/self/fd/8/` + filepath.Base(path) + ` 2>/dev/null && echo READ-HOST; true`
	viaShell := func(args ...string) result {
		// The shell opens 7 and 8 without close-on-exec and execs rpod.
		return suite.RunCmd(baseEnv, nil, "sh", append([]string{"-c", `exec 7</dev/null 8<"$1"; shift; exec "$@"`, "sh", dir, rpodBin}, args...)...)
	}
	check := func(what string, r result) {
		t.Helper()
		if r.Code != 0 {
			t.Fatalf("%s: exit %d: %s", what, r.Code, r.Err)
		}
		if strings.TrimSpace(r.Out) != "" {
			t.Errorf("%s: %q", what, r.Out)
		}
	}
	check("run", viaShell("run", "--rm", "busybox", "sh", "-c", script))
	c := startContainer(t, "escape-fds")
	check("exec", viaShell("exec", c.name, "sh", "-c", script))
	checkCanary(t, dir, path)
}
