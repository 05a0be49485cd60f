//go:build linux && amd64

package seccomp

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

var defaultEnv = Env{Caps: []string{"CAP_CHOWN", "CAP_SETUID"}, Kernel: KernelVersion{6, 1}}

func mustCompile(t *testing.T, env Env, profile string) []unix.SockFilter {
	t.Helper()
	p, err := ParseProfile([]byte(profile))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := p.Compile(env)
	if err != nil {
		t.Fatal(err)
	}
	checkProgram(t, prog.Insns)
	return prog.Insns
}

func errnoRet(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }

// TestCompileArgs compares every operator's compiled test, on both 32-bit
// halves, with Go's 64-bit arithmetic.
func TestCompileArgs(t *testing.T) {
	values := []uint64{0, 1, 2, 0xfffffffe, 0xffffffff, 1 << 32, 1<<32 + 1, 1<<32 + 2, 2 << 32, 0xffffffff00000000, 0xfffffffffffffffe, 0xffffffffffffffff, 0x00000001ffffffff}
	ref := map[Op]func(a, v, v2 uint64) bool{
		OpEq:       func(a, v, _ uint64) bool { return a == v },
		OpNe:       func(a, v, _ uint64) bool { return a != v },
		OpLt:       func(a, v, _ uint64) bool { return a < v },
		OpLe:       func(a, v, _ uint64) bool { return a <= v },
		OpGt:       func(a, v, _ uint64) bool { return a > v },
		OpGe:       func(a, v, _ uint64) bool { return a >= v },
		OpMaskedEq: func(a, v, v2 uint64) bool { return a&v == v2 },
	}
	for _, op := range ops {
		for _, v := range values {
			v2 := v & 0x00000001_0000ffff
			for index := range uint(6) {
				prof := fmt.Sprintf(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99,
					"args": [{"index": %d, "value": %d, "valueTwo": %d, "op": %q}]}]}`, index, v, v2, op)
				prog := mustCompile(t, defaultEnv, prof)
				for _, a := range values {
					var d seccompData
					d.nr, d.arch = unix.SYS_KILL, unix.AUDIT_ARCH_X86_64
					d.args[index] = a
					// Noise in the other arguments must not matter.
					d.args[(index+1)%6] = 0xdeadbeefcafe
					want := uint32(unix.SECCOMP_RET_ALLOW)
					if ref[op](a, v, v2) {
						want = errnoRet(99)
					}
					if got := run(t, prog, d); got != want {
						t.Fatalf("%s arg%d %#x vs %#x (%#x): got %#x, want %#x", op, index, a, v, v2, got, want)
					}
				}
			}
		}
	}
}

func TestCompileRules(t *testing.T) {
	const x86 = unix.AUDIT_ARCH_X86_64
	prof := `{
		"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
		"syscalls": [
			{"names": ["read", "write", "nosuchcall", "socketcall"], "action": "SCMP_ACT_ALLOW"},
			{"name": "getpid", "action": "SCMP_ACT_ALLOW"},
			{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
			{"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
			{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_NE"}, {"index": 0, "value": 1, "op": "SCMP_CMP_GT"}]},
			{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22, "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
			{"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS"},
			{"names": ["kill"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["read"], "action": "SCMP_ACT_KILL"},
			{"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
			{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
			{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
			{"names": ["sync_file_range"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["ppc64le"]}},
			{"names": ["fsync"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
			{"names": ["pidfd_open"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.3"}},
			{"names": ["pidfd_getfd"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
			{"names": ["pidfd_send_signal"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.1"}},
			{"names": ["getuid"], "action": "SCMP_ACT_TRAP"},
			{"names": ["getgid"], "action": "SCMP_ACT_LOG"},
			{"names": ["geteuid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
			{"names": ["getegid"], "action": "SCMP_ACT_KILL_THREAD"}
		]}`
	tests := []struct {
		name string
		env  Env
		d    seccompData
		want uint32
	}{
		{"read allowed, later KILL rule ignored", defaultEnv, seccompData{nr: unix.SYS_READ, arch: x86}, unix.SECCOMP_RET_ALLOW},
		{"write", defaultEnv, seccompData{nr: unix.SYS_WRITE, arch: x86}, unix.SECCOMP_RET_ALLOW},
		{"old name format", defaultEnv, seccompData{nr: unix.SYS_GETPID, arch: x86}, unix.SECCOMP_RET_ALLOW},
		{"unlisted: default errno", defaultEnv, seccompData{nr: unix.SYS_OPENAT, arch: x86}, errnoRet(unix.ENOSYS)},
		{"errno defaults to EPERM", defaultEnv, seccompData{nr: unix.SYS_MKDIR, arch: x86}, errnoRet(unix.EPERM)},
		{"errnoRet", defaultEnv, seccompData{nr: unix.SYS_RMDIR, arch: x86}, errnoRet(unix.EACCES)},
		{"kill first rule", defaultEnv, seccompData{nr: unix.SYS_KILL, arch: x86, args: [6]uint64{5, 15}}, unix.SECCOMP_RET_ALLOW},
		{"kill second rule", defaultEnv, seccompData{nr: unix.SYS_KILL, arch: x86, args: [6]uint64{5, 0}}, errnoRet(unix.EINVAL)},
		{"kill unconditional rule", defaultEnv, seccompData{nr: unix.SYS_KILL, arch: x86, args: [6]uint64{1, 15}}, unix.SECCOMP_RET_KILL_PROCESS},
		{"kill high half of arg0", defaultEnv, seccompData{nr: unix.SYS_KILL, arch: x86, args: [6]uint64{1 << 32, 15}}, unix.SECCOMP_RET_ALLOW},
		{"bpf without CAP_SYS_ADMIN", defaultEnv, seccompData{nr: unix.SYS_BPF, arch: x86}, errnoRet(unix.EPERM)},
		{"bpf with CAP_SYS_ADMIN", Env{Caps: []string{"sys_admin"}}, seccompData{nr: unix.SYS_BPF, arch: x86}, unix.SECCOMP_RET_ALLOW},
		{"arch include", defaultEnv, seccompData{nr: unix.SYS_ARCH_PRCTL, arch: x86}, unix.SECCOMP_RET_ALLOW},
		{"other arch include", defaultEnv, seccompData{nr: unix.SYS_SYNC_FILE_RANGE, arch: x86}, errnoRet(unix.ENOSYS)},
		{"arch exclude", defaultEnv, seccompData{nr: unix.SYS_FSYNC, arch: x86}, errnoRet(unix.ENOSYS)},
		{"minKernel met", defaultEnv, seccompData{nr: unix.SYS_PIDFD_OPEN, arch: x86}, unix.SECCOMP_RET_ALLOW},
		{"minKernel not met", defaultEnv, seccompData{nr: unix.SYS_PIDFD_GETFD, arch: x86}, errnoRet(unix.ENOSYS)},
		{"excludes minKernel", defaultEnv, seccompData{nr: unix.SYS_PIDFD_SEND_SIGNAL, arch: x86}, errnoRet(unix.ENOSYS)},
		{"excludes minKernel, old kernel", Env{Kernel: KernelVersion{4, 19}}, seccompData{nr: unix.SYS_PIDFD_SEND_SIGNAL, arch: x86}, unix.SECCOMP_RET_ALLOW},
		{"trap", defaultEnv, seccompData{nr: unix.SYS_GETUID, arch: x86}, unix.SECCOMP_RET_TRAP},
		{"log", defaultEnv, seccompData{nr: unix.SYS_GETGID, arch: x86}, unix.SECCOMP_RET_LOG},
		{"trace", defaultEnv, seccompData{nr: unix.SYS_GETEUID, arch: x86}, unix.SECCOMP_RET_TRACE | 7},
		{"kill thread", defaultEnv, seccompData{nr: unix.SYS_GETEGID, arch: x86}, unix.SECCOMP_RET_KILL_THREAD},
		{"i386", defaultEnv, seccompData{nr: 3, arch: unix.AUDIT_ARCH_I386}, errnoRet(unix.ENOSYS)},
		{"x32 read", defaultEnv, seccompData{nr: x32SyscallBit | unix.SYS_READ, arch: x86}, errnoRet(unix.ENOSYS)},
		{"huge nr", defaultEnv, seccompData{nr: 5000, arch: x86}, errnoRet(unix.ENOSYS)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prog := mustCompile(t, tt.env, prof)
			if got := run(t, prog, tt.d); got != tt.want {
				t.Fatalf("got %#x, want %#x", got, tt.want)
			}
		})
	}
	p, _ := ParseProfile([]byte(prof))
	prog, _ := p.Compile(defaultEnv)
	if strings.Join(prog.Skipped, ",") != "nosuchcall,socketcall" {
		t.Errorf("skipped %v", prog.Skipped)
	}
}

// TestCompileIntervals: runs of consecutive numbers share one test, and
// every number in and around them gets its action.
func TestCompileIntervals(t *testing.T) {
	var names []string
	want := map[uint32]uint32{}
	for name, nr := range syscallNumbers {
		if nr%7 != 3 && nr < 300 {
			names = append(names, fmt.Sprintf("%q", name))
			want[nr] = unix.SECCOMP_RET_ALLOW
		}
	}
	prof := `{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"names": [` + strings.Join(names, ",") + `], "action": "SCMP_ACT_ALLOW"}]}`
	prog := mustCompile(t, defaultEnv, prof)
	if len(prog) > 300 {
		t.Errorf("%d instructions for about 50 intervals", len(prog))
	}
	for nr := uint32(0); nr < 600; nr++ {
		w, ok := want[nr]
		if !ok {
			w = unix.SECCOMP_RET_KILL_PROCESS
		}
		if got := run(t, prog, seccompData{nr: int32(nr), arch: unix.AUDIT_ARCH_X86_64}); got != w {
			t.Fatalf("nr %d: got %#x, want %#x", nr, got, w)
		}
	}
}

func TestCompileTooLong(t *testing.T) {
	var rules []string
	for name := range syscallNumbers {
		rules = append(rules, fmt.Sprintf(`{"names": [%q], "action": "SCMP_ACT_ERRNO", "args": [
			{"index": 0, "value": 1, "op": "SCMP_CMP_GE"}, {"index": 1, "value": 1, "op": "SCMP_CMP_GE"}, {"index": 2, "value": 1, "op": "SCMP_CMP_GE"}]}`, name))
	}
	p, err := ParseProfile([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [` + strings.Join(rules, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Compile(defaultEnv); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("got %v, want a too-long error", err)
	}
}

const podmanProfile = "/usr/share/containers/seccomp.json"

func TestCompilePodmanProfile(t *testing.T) {
	data, err := os.ReadFile(podmanProfile)
	if err != nil {
		t.Skipf("podman's profile: %v", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		t.Fatal(err)
	}
	const x86 = unix.AUDIT_ARCH_X86_64
	podmanDefault := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
		"CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
	prog, err := p.Compile(Env{Caps: podmanDefault, Kernel: RunningKernel()})
	if err != nil {
		t.Fatal(err)
	}
	checkProgram(t, prog.Insns)
	t.Logf("podman's profile: %d instructions, %d names without an x86_64 number", len(prog.Insns), len(prog.Skipped))
	for _, tt := range []struct {
		name string
		d    seccompData
		want uint32
	}{
		{"read", seccompData{nr: unix.SYS_READ}, unix.SECCOMP_RET_ALLOW},
		{"execve", seccompData{nr: unix.SYS_EXECVE}, unix.SECCOMP_RET_ALLOW},
		{"clone", seccompData{nr: unix.SYS_CLONE, args: [6]uint64{uint64(unix.SIGCHLD)}}, unix.SECCOMP_RET_ALLOW},
		{"chroot with CAP_SYS_CHROOT", seccompData{nr: unix.SYS_CHROOT}, unix.SECCOMP_RET_ALLOW},
		{"capset", seccompData{nr: unix.SYS_CAPSET}, unix.SECCOMP_RET_ALLOW},
		{"setresuid", seccompData{nr: unix.SYS_SETRESUID}, unix.SECCOMP_RET_ALLOW},
		{"kexec_load", seccompData{nr: unix.SYS_KEXEC_LOAD}, errnoRet(unix.EPERM)},
		{"mount (capabilities refuse it)", seccompData{nr: unix.SYS_MOUNT}, unix.SECCOMP_RET_ALLOW},
		{"bpf without CAP_SYS_ADMIN", seccompData{nr: unix.SYS_BPF}, errnoRet(unix.EPERM)},
		{"init_module", seccompData{nr: unix.SYS_INIT_MODULE}, errnoRet(unix.EPERM)},
		{"personality(0)", seccompData{nr: unix.SYS_PERSONALITY}, unix.SECCOMP_RET_ALLOW},
		{"personality(0xffffffff)", seccompData{nr: unix.SYS_PERSONALITY, args: [6]uint64{0xffffffff}}, unix.SECCOMP_RET_ALLOW},
		{"personality(0x1234)", seccompData{nr: unix.SYS_PERSONALITY, args: [6]uint64{0x1234}}, errnoRet(unix.ENOSYS)},
		{"socket(AF_INET)", seccompData{nr: unix.SYS_SOCKET, args: [6]uint64{unix.AF_INET, unix.SOCK_STREAM}}, unix.SECCOMP_RET_ALLOW},
		{"socket(AF_NETLINK, NETLINK_AUDIT)", seccompData{nr: unix.SYS_SOCKET, args: [6]uint64{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_AUDIT}}, errnoRet(unix.EINVAL)},
		{"socket(AF_NETLINK, NETLINK_ROUTE)", seccompData{nr: unix.SYS_SOCKET, args: [6]uint64{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE}}, unix.SECCOMP_RET_ALLOW},
		{"unknown number", seccompData{nr: 1000}, errnoRet(unix.ENOSYS)},
	} {
		tt.d.arch = x86
		if got := run(t, prog.Insns, tt.d); got != tt.want {
			t.Errorf("%s: got %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

// profileHelper runs in a child process: it installs kernelProfile (after
// no_new_privs, so without privilege) and checks the kernel applies it.
func profileHelper() int {
	p, err := ParseProfile([]byte(kernelProfile))
	if err != nil {
		fmt.Println("FAIL parse:", err)
		return 1
	}
	prog, err := p.Compile(Env{Kernel: RunningKernel()})
	if err != nil {
		fmt.Println("FAIL compile:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "rpod-seccomp-")
	if err != nil {
		fmt.Println("FAIL", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := SetNoNewPrivs(); err != nil {
		fmt.Println("FAIL", err)
		return 1
	}
	if err := prog.Install(); err != nil {
		fmt.Println("FAIL install:", err)
		return 1
	}
	failed := false
	check := func(name string, got, want unix.Errno) {
		if got != want {
			fmt.Printf("FAIL %s: got %v, want %v\n", name, got, want)
			failed = true
			return
		}
		fmt.Printf("ok %s: %v\n", name, got)
	}
	err = unix.Mkdirat(unix.AT_FDCWD, dir+"/x", 0o755)
	e, _ := err.(unix.Errno)
	check("mkdirat denied", e, unix.EACCES)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		fmt.Println("FAIL open:", err)
		return 1
	}
	_, _, e = unix.RawSyscall(unix.SYS_LSEEK, uintptr(fd), 1<<32+5, 0)
	check("lseek beyond 4G denied", e, unix.EFBIG)
	_, _, e = unix.RawSyscall(unix.SYS_LSEEK, uintptr(fd), 5, 0)
	check("lseek low offset allowed", e, 0)
	_, _, e = unix.RawSyscall(unix.SYS_UMASK, 0o077, 0, 0)
	check("umask(077) denied by MASKED_EQ", e, unix.EROFS)
	_, _, e = unix.RawSyscall(unix.SYS_UMASK, 0o022, 0, 0)
	check("umask(022) allowed", e, 0)
	_, _, e = unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
	check("getpid allowed", e, 0)
	if failed {
		return 1
	}
	return 0
}

const kernelProfile = `{
	"defaultAction": "SCMP_ACT_ALLOW",
	"syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
		{"names": ["lseek"], "action": "SCMP_ACT_ERRNO", "errnoRet": 27, "args": [{"index": 1, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
		{"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30, "args": [{"index": 0, "value": 63, "valueTwo": 63, "op": "SCMP_CMP_MASKED_EQ"}]}
	]
}`

func TestProfileKernel(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=profile")
	out, err := cmd.CombinedOutput()
	t.Logf("helper output:\n%s", out)
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
}
