package e2e

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// inContainer runs a busybox shell script in a fresh container of the
// shared world and returns its result; flags go before the image.
func inContainer(t *testing.T, script string, flags ...string) result {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), "busybox", "sh", "-c", script)
	return rpod(t, args...)
}

// mustContain fails unless the result is exit 0 with want in stdout.
func mustContain(t *testing.T, what string, r result, want ...string) {
	t.Helper()
	if r.Code != 0 {
		t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.Code, r.Out, r.Err)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.Out, w) {
			t.Errorf("%s: output lacks %q:\n%s", what, w, r.Out)
		}
	}
}

// hostUIDs is the test user's uid and subordinate range from /etc/subuid.
func hostUIDs(t *testing.T) (uid, subStart, subCount int) {
	t.Helper()
	uid = os.Getuid()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/etc/subuid")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) == 3 && (f[0] == u.Username || f[0] == strconv.Itoa(uid)) {
			subStart, _ = strconv.Atoi(f[1])
			subCount, _ = strconv.Atoi(f[2])
			return
		}
	}
	t.Fatalf("no /etc/subuid range for %s", u.Username)
	return
}

// statusIDs returns the real, effective, saved and fs ids of a "Uid:" or
// "Gid:" line of a /proc/PID/status text.
func statusIDs(t *testing.T, status, key string) []int {
	t.Helper()
	for _, l := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(l, key+":"); ok {
			var ids []int
			for _, f := range strings.Fields(rest) {
				n, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("bad %s line %q", key, l)
				}
				ids = append(ids, n)
			}
			return ids
		}
	}
	t.Fatalf("no %s line in:\n%s", key, status)
	return nil
}

// TestSecuritySetuidNoHostPrivilege runs a setuid-root binary as a non-root
// container user: whatever uid it gains in the container, on the host the
// process is the user or one of their subordinate uids, never root.
func TestSecuritySetuidNoHostPrivilege(t *testing.T) {
	env := newWorld(t)
	// multilayer runs as user app and ships a setuid-root file.
	if out := ok(t, env, "run", "--rm", "multilayer", "ls", "-ln", "/usr/local/bin/suidfile"); !strings.HasPrefix(out, "-rwsr-xr-x") {
		t.Fatalf("fixture's setuid file: %q", out)
	}
	ok(t, env, "run", "-d", "--name", "suid", "multilayer", "sh", "-c",
		"while [ ! -e /tmp/go ]; do sleep 0.1; done; exec /tmp/sleep 600")
	// A setuid-root copy of busybox, made by the container's root.
	ok(t, env, "exec", "--user", "0", "suid", "sh", "-c", "cp /bin/busybox /tmp/sleep && chmod 4755 /tmp/sleep && touch /tmp/go")
	var inside string
	waitUntil(t, "the container runs the setuid binary", func() bool {
		r := run(env, nil, "exec", "suid", "cat", "/proc/1/status")
		inside = r.Out
		return r.Code == 0 && strings.Contains(r.Out, "Name:\tsleep")
	})
	cuid := statusIDs(t, inside, "Uid")
	t.Logf("container view of the setuid process: Uid %v", cuid)
	if cuid[0] != 1000 {
		t.Errorf("real uid in the container %d, want 1000 (app)", cuid[0])
	}

	pid, err := strconv.Atoi(strings.TrimSpace(ok(t, env, "inspect", "--format", "{{.State.Pid}}", "suid")))
	if err != nil || pid <= 0 {
		t.Fatalf("container pid: %v", err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Name:\tsleep") {
		t.Fatalf("/proc/%d is not the container's process:\n%s", pid, b)
	}
	me, subStart, subCount := hostUIDs(t)
	huid := statusIDs(t, string(b), "Uid")
	t.Logf("host view: Uid %v (user %d, subordinate %d..%d)", huid, me, subStart, subStart+subCount-1)
	for i, id := range huid {
		if id == 0 || (id != me && (id < subStart || id >= subStart+subCount)) {
			t.Errorf("host uid #%d of the container process is %d: not the user nor a subordinate uid", i, id)
		}
	}
	if want := subStart + 999; huid[0] != want {
		t.Errorf("host real uid %d, want %d (container uid 1000)", huid[0], want)
	}
	// Nothing in the container's user namespace maps to the host's root.
	m := ok(t, env, "exec", "suid", "cat", "/proc/self/uid_map")
	for _, l := range strings.Split(strings.TrimSpace(m), "\n") {
		if f := strings.Fields(l); len(f) != 3 || f[1] == "0" {
			t.Errorf("uid_map line %q maps to host uid 0", l)
		}
	}
	ok(t, env, "rm", "-f", "suid")
}

// TestSecurityProcessIsolation: the container sees only its own processes
// and cannot signal (so cannot ptrace) a host one.
func TestSecurityProcessIsolation(t *testing.T) {
	host := os.Getpid()
	r := inContainer(t, fmt.Sprintf(`ps -o pid,comm; ls -d /proc/[0-9]*; [ -e /proc/%d ] && echo HOSTPID-VISIBLE; kill -0 %d; echo kill=$?`, host, host))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Err)
	}
	if strings.Contains(r.Out, "HOSTPID-VISIBLE") || !strings.Contains(r.Out, "kill=1") {
		t.Errorf("host pid %d is visible or can be signalled:\n%s%s", host, r.Out, r.Err)
	}
	if !strings.Contains(r.Err, "No such process") && !strings.Contains(r.Err, "no such process") {
		t.Errorf("kill -0 of a host pid: %q, want no such process", r.Err)
	}
	// ps and /proc list the shell (pid 1), ps itself and ls: a handful.
	var pids []int
	for _, l := range strings.Split(r.Out, "\n") {
		if p, ok := strings.CutPrefix(l, "/proc/"); ok {
			n, _ := strconv.Atoi(p)
			pids = append(pids, n)
		}
	}
	if len(pids) == 0 || len(pids) > 4 || pids[0] != 1 {
		t.Errorf("container /proc lists %v, want pid 1 and its few children:\n%s", pids, r.Out)
	}
	for _, p := range pids {
		if p > 100 {
			t.Errorf("container /proc lists pid %d: a host pid?", p)
		}
	}
}

// TestSecurityKernelInterfaces: /proc/sys and /sys are read-only, mount and
// module loading fail, masked paths are empty.
func TestSecurityKernelInterfaces(t *testing.T) {
	r := inContainer(t, `echo rpod > /proc/sys/kernel/hostname; echo write=$?; grep -E ' /proc/sys | /sys ' /proc/self/mounts`)
	mustContain(t, "/proc/sys", r, "write=1", " /proc/sys proc ro,", " /sys sysfs ro,")
	if !strings.Contains(r.Err, "Read-only file system") {
		t.Errorf("write to /proc/sys/kernel/hostname: %q, want Read-only file system", r.Err)
	}
	r = inContainer(t, `touch /sys/kernel/rpod; echo touch=$?; echo 1 > /sys/kernel/profiling; echo write=$?`)
	mustContain(t, "/sys", r, "touch=1", "write=1")

	// mount(2) is refused by seccomp and, without it, for lack of CAP_SYS_ADMIN.
	for _, flags := range [][]string{nil, {"--security-opt", "seccomp=unconfined"}} {
		r = inContainer(t, `mount -t tmpfs none /tmp; echo mount=$?; grep -c ' /tmp tmpfs ' /proc/self/mounts`, flags...)
		if !strings.Contains(r.Out, "mount=255") && !strings.Contains(r.Out, "mount=1") || !strings.Contains(r.Out, "\n0\n") {
			t.Errorf("mount %v succeeded:\n%s%s", flags, r.Out, r.Err)
		}
		// busybox says "permission denied (are you root?)" for EPERM.
		if !strings.Contains(strings.ToLower(r.Err), "permission denied") && !strings.Contains(r.Err, "Operation not permitted") {
			t.Errorf("mount %v: %q", flags, r.Err)
		}
	}

	// init_module/finit_module: an (invalid) module never reaches the kernel's loader.
	r = inContainer(t, `printf 'not a module' > /tmp/m.ko; insmod /tmp/m.ko; echo insmod=$?`)
	mustContain(t, "insmod", r, "insmod=1")
	if !strings.Contains(r.Err, "Operation not permitted") {
		t.Errorf("insmod: %q, want Operation not permitted", r.Err)
	}
	r = inContainer(t, `modprobe rpod_nonexistent; echo modprobe=$?`)
	mustContain(t, "modprobe", r, "modprobe=1")

	// Default masked paths: files read empty, directories are empty.
	r = inContainer(t, `wc -c < /proc/interrupts; ls -A /sys/firmware | wc -l`)
	mustContain(t, "masked paths", r, "0\n0\n")
}

// masks lists which of some of podman's masked and read-only paths have a
// mount over them in a container run with flags; paths the host's kernel
// does not have are left out.
func masks(t *testing.T, flags ...string) string {
	t.Helper()
	var paths, want []string
	for _, p := range []string{"/proc/keys", "/proc/interrupts", "/proc/timer_list", "/sys/firmware", "/proc/sys", "/proc/sysrq-trigger"} {
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	r := inContainer(t, `for p in `+strings.Join(paths, " ")+`; do grep -q " $p " /proc/self/mounts && echo $p; done; true`, flags...)
	if r.Code != 0 {
		t.Fatalf("%v: exit %d: %s", flags, r.Code, r.Err)
	}
	for _, l := range strings.Fields(r.Out) {
		want = append(want, l)
	}
	return strings.Join(want, " ")
}

// TestSecurityMaskUnmask covers --security-opt mask=, unmask= and
// systempaths=unconfined, and --privileged's unmasking.
func TestSecurityMaskUnmask(t *testing.T) {
	// mask= hides a file and a directory of the image, as podman's masks.
	r := inContainer(t, `wc -c < /etc/passwd; grep -c ' /var tmpfs ro,' /proc/self/mounts; touch /var/x; echo touch=$?`, "--security-opt", "mask=/etc/passwd:/var")
	mustContain(t, "mask=", r, "0\n1\n", "touch=1")
	mustContain(t, "no mask=", inContainer(t, `wc -c < /etc/passwd; touch /var/x; echo touch=$?`), "touch=0")
	// A path that does not exist is skipped.
	mustContain(t, "mask= missing path", inContainer(t, "echo ran", "--security-opt", "mask=/nonexistent/x"), "ran")

	all := masks(t)
	has := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if !has("/proc/interrupts") || !has("/proc/sys") {
		t.Fatal("host lacks /proc/interrupts or /proc/sys")
	}
	if !strings.Contains(all, "/proc/interrupts") || !strings.Contains(all, "/proc/sys") {
		t.Fatalf("default masks: %q", all)
	}
	without := func(drop ...string) string {
		var out []string
		for _, p := range strings.Fields(all) {
			if !slices.Contains(drop, p) {
				out = append(out, p)
			}
		}
		return strings.Join(out, " ")
	}
	for _, tt := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--security-opt", "unmask=/proc/interrupts"}, without("/proc/interrupts")},
		{[]string{"--security-opt", "unmask=/proc/interrupts:/proc/sys"}, without("/proc/interrupts", "/proc/sys")},
		{[]string{"--security-opt", "unmask=/proc/*"}, without("/proc/keys", "/proc/interrupts", "/proc/timer_list", "/proc/sys", "/proc/sysrq-trigger")},
		{[]string{"--security-opt", "unmask=ALL"}, ""},
		{[]string{"--security-opt", "systempaths=unconfined"}, ""},
		{[]string{"--privileged"}, ""},
	} {
		if got := masks(t, tt.flags...); got != tt.want {
			t.Errorf("%v: masked %q, want %q", tt.flags, got, tt.want)
		}
	}
	// Without the read-only bind, /proc/sys is the namespace's own procfs mount, read-write.
	mustContain(t, "unmask=/proc/sys", inContainer(t, `grep ' /proc ' /proc/self/mounts; grep -c ' /proc/sys ' /proc/self/mounts; true`, "--security-opt", "unmask=/proc/sys"), "proc rw,", "\n0\n")

	wantError(t, rpod(t, "run", "--rm", "--security-opt", "mask=etc/passwd", "busybox", "true"), 125, "not an absolute path")
	wantError(t, rpod(t, "run", "--rm", "--security-opt", "unmask=/proc/[", "busybox", "true"), 125, "bad pattern")
	wantError(t, rpod(t, "run", "--rm", "--security-opt", "mask=", "busybox", "true"), 125, "unsupported --security-opt")
}

// writeProfile writes a seccomp profile into a fresh directory.
func writeProfile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// denyMkdir refuses mkdir(2) and mkdirat(2) with EACCES (13), so that the
// error is the profile's and not the default filter's EPERM.
const denyMkdir = `{
	"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
		{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
		 "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
		{"names": ["no_such_syscall_anywhere"], "action": "SCMP_ACT_KILL"}
	]
}`

// TestSecuritySeccompProfile covers --security-opt seccomp=PROFILE.
func TestSecuritySeccompProfile(t *testing.T) {
	const podmanProfile = "/usr/share/containers/seccomp.json"
	if _, err := os.Stat(podmanProfile); err == nil {
		r := inContainer(t, `echo hi; mkdir /x && rmdir /x && ls / > /dev/null && date > /dev/null && id -u; grep Seccomp: /proc/self/status; mount -t tmpfs none /mnt || echo mount-refused`,
			"--security-opt", "seccomp="+podmanProfile)
		mustContain(t, "podman's profile", r, "hi\n0\nSeccomp:\t2\nmount-refused\n")
	} else {
		t.Logf("%s not installed: podman's profile not tried", podmanProfile)
	}

	deny := writeProfile(t, denyMkdir)
	r := inContainer(t, `mkdir /x; echo mkdir=$?; kill -0 $$; echo kill0=$?; kill -CONT $$; echo cont=$?; echo ok > /tmp/f && cat /tmp/f`,
		"--security-opt", "seccomp="+deny)
	mustContain(t, "deny profile", r, "mkdir=1\n", "kill0=1\n", "cont=0\n", "ok\n")
	if !strings.Contains(r.Err, "Permission denied") || !strings.Contains(r.Err, "Invalid argument") {
		t.Errorf("deny profile errors %q, want EACCES from mkdir and EINVAL from kill -0", r.Err)
	}

	// The profile is part of the container: it applies when the file is
	// gone, and to exec sessions.
	env := newWorld(t)
	gone := writeProfile(t, denyMkdir)
	ok(t, env, "create", "--name", "prof", "--security-opt", "seccomp="+gone, "busybox", "sh", "-c", "mkdir /y; echo mkdir=$?; sleep 600")
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	ok(t, env, "start", "prof")
	waitUntil(t, "the container runs", func() bool {
		return strings.Contains(run(env, nil, "logs", "prof").Out, "mkdir=1")
	})
	if r := run(env, nil, "exec", "prof", "mkdir", "/z"); r.Code == 0 || !strings.Contains(r.Err, "Permission denied") {
		t.Errorf("exec under the profile: exit %d, %q", r.Code, r.Err)
	}
	ok(t, env, "rm", "-f", "prof")

	// --privileged runs without any filter, as in podman.
	mustContain(t, "--privileged with a profile", inContainer(t, "mkdir /x && grep Seccomp: /proc/self/status", "--privileged", "--security-opt", "seccomp="+deny), "Seccomp:\t0")
	// The last seccomp= wins.
	mustContain(t, "profile then unconfined", inContainer(t, "mkdir /x && grep Seccomp: /proc/self/status", "--security-opt", "seccomp="+deny, "--security-opt", "seccomp=unconfined"), "Seccomp:\t0")
}

// TestSecurityOptErrors: bad --security-opt values fail at create with one
// line naming the problem and exit 125, and leave no container behind.
func TestSecurityOptErrors(t *testing.T) {
	env := newWorld(t)
	missing := filepath.Join(t.TempDir(), "nope.json")
	bad := writeProfile(t, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [\n    {\"names\": [\"mkdir\"] \"action\": 1}\n  ]\n}\n")
	action := writeProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_DENY"}]}`)
	denyAll := writeProfile(t, `{"defaultAction": "SCMP_ACT_ERRNO"}`)
	op := writeProfile(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`)
	for _, tt := range []struct {
		opt, want string
	}{
		{"seccomp=" + missing, "seccomp profile " + missing + ": no such file or directory"},
		{"seccomp=" + bad, "seccomp profile " + bad + ": invalid JSON at line 4, column 25"},
		{"seccomp=" + action, `unknown action "SCMP_ACT_DENY"`},
		{"seccomp=" + op, "syscalls[0]: args[0]: index 7 out of range 0..5"},
		{"seccomp=" + denyAll, "seccomp profile " + denyAll + ": it refuses prctl, capset,"},
		{"apparmor=myprofile", "unsupported --security-opt \"apparmor=myprofile\": rpod takes"},
		{"seccomp", "unsupported --security-opt"},
		{"proc-opts=foo", "unsupported --security-opt"},
	} {
		for _, cmd := range []string{"create", "run"} {
			wantError(t, run(env, nil, cmd, "--rm", "--security-opt", tt.opt, "busybox", "true"), 125, tt.want)
		}
	}
	if out := ok(t, env, "ps", "-a", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("failed creates left containers: %q", out)
	}
	// podman command lines with SELinux/AppArmor options run.
	ok(t, env, "run", "--rm", "--security-opt", "label=disable", "--security-opt", "label=type:container_t",
		"--security-opt", "apparmor=unconfined", "--security-opt", "no-new-privileges=true", "busybox", "true")
}
