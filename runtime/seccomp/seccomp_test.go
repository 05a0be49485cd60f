//go:build linux && amd64

package seccomp

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/fixture"
)

const helperEnv = "RPOD_SECCOMP_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode == "profile" {
		os.Exit(profileHelper())
	} else if mode != "" {
		os.Exit(installHelper(mode))
	}
	os.Exit(m.Run())
}

// --- a tiny classic BPF interpreter for seccomp programs ---

type seccompData struct {
	nr   int32
	arch uint32
	ip   uint64
	args [6]uint64
}

func (d seccompData) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], uint32(d.nr))
	binary.LittleEndian.PutUint32(b[4:], d.arch)
	binary.LittleEndian.PutUint64(b[8:], d.ip)
	for i, a := range d.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// run evaluates prog on d and returns the RET value. It supports the subset
// of classic BPF that seccomp accepts and this package uses, and fails on
// anything else.
func run(t *testing.T, prog []unix.SockFilter, d seccompData) uint32 {
	t.Helper()
	data := d.bytes()
	var a uint32
	for pc, steps := 0, 0; ; steps++ {
		if pc < 0 || pc >= len(prog) {
			t.Fatalf("pc %d out of program (len %d)", pc, len(prog))
		}
		if steps > len(prog) {
			t.Fatalf("program loops")
		}
		in := prog[pc]
		pc++
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K%4 != 0 || int(in.K)+4 > len(data) {
				t.Fatalf("bad load offset %d", in.K)
			}
			a = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += jump(a == in.K, in)
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
			pc += jump(a > in.K, in)
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += jump(a >= in.K, in)
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += jump(a&in.K != 0, in)
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
			a &= in.K
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		default:
			t.Fatalf("unsupported instruction %#x at %d", in.Code, pc-1)
		}
	}
}

func jump(cond bool, in unix.SockFilter) int {
	if cond {
		return int(in.Jt)
	}
	return int(in.Jf)
}

func TestProgramShape(t *testing.T) {
	prog, err := DefaultFilter()
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) < 10 || len(prog) >= 4096 {
		t.Fatalf("program length %d", len(prog))
	}
	t.Logf("program length: %d instructions", len(prog))
	if in := prog[0]; in.Code != unix.BPF_LD|unix.BPF_W|unix.BPF_ABS || in.K != 4 {
		t.Fatalf("first instruction %+v does not load seccomp_data.arch", in)
	}
	if in := prog[1]; in.Code != unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K || in.K != unix.AUDIT_ARCH_X86_64 {
		t.Fatalf("second instruction %+v does not compare with AUDIT_ARCH_X86_64", in)
	}
	if prog[len(prog)-1].Code != unix.BPF_RET|unix.BPF_K {
		t.Fatal("last instruction is not RET")
	}
	for i, in := range prog {
		if in.Code&0x07 == unix.BPF_JMP && i+1+int(max(in.Jt, in.Jf)) >= len(prog) {
			t.Fatalf("instruction %d jumps out of the program", i)
		}
	}
	// Every blocked syscall number is compared somewhere.
	for _, s := range blockedSyscalls {
		if !slices.ContainsFunc(prog, func(in unix.SockFilter) bool {
			return in.Code == unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K && in.K == s.nr
		}) {
			t.Errorf("%s (%d) not in program", s.name, s.nr)
		}
	}
	// The copy returned is the caller's.
	prog[0].K = 12345
	again, _ := DefaultFilter()
	if again[0].K != 4 {
		t.Fatal("DefaultFilter returned a shared slice")
	}
}

func TestBlockedList(t *testing.T) {
	for _, n := range []string{"mount", "keyctl", "unshare", "setns", "bpf", "clone3", "umount2", "_sysctl"} {
		if !slices.Contains(Blocked, n) {
			t.Errorf("Blocked lacks %s", n)
		}
	}
	for _, n := range []string{"clone", "personality", "read", "get_mempolicy"} {
		if slices.Contains(Blocked, n) {
			t.Errorf("Blocked has %s", n)
		}
	}
	seen := map[string]bool{}
	for _, n := range Blocked {
		if seen[n] {
			t.Errorf("duplicate %s", n)
		}
		seen[n] = true
	}
}

func TestAssembleLimits(t *testing.T) {
	far := []insn{jeq(1, "x", "")}
	for range 256 {
		far = append(far, ret(retAllow))
	}
	far = append(far, label("x", ret(retEPERM)))
	if _, err := assemble(far); err == nil {
		t.Error("jump of 256 accepted")
	}
	if _, err := assemble(far[1:]); err != nil {
		t.Errorf("plain program rejected: %v", err)
	}
	back := []insn{label("x", ldAbs(0)), jeq(1, "x", ""), ret(retAllow)}
	if _, err := assemble(back); err == nil {
		t.Error("backward jump accepted")
	}
	if _, err := assemble([]insn{jeq(1, "nowhere", ""), ret(retAllow)}); err == nil {
		t.Error("undefined label accepted")
	}
	if _, err := assemble([]insn{ldAbs(0)}); err == nil {
		t.Error("program without final RET accepted")
	}
	long := make([]insn, 4097)
	for i := range long {
		long[i] = ret(retAllow)
	}
	if _, err := assemble(long); err == nil {
		t.Error("4097 instructions accepted")
	}
}

func TestInterpret(t *testing.T) {
	prog, err := DefaultFilter()
	if err != nil {
		t.Fatal(err)
	}
	const x86 = unix.AUDIT_ARCH_X86_64
	tests := []struct {
		name string
		d    seccompData
		want uint32
	}{
		{"read", seccompData{nr: unix.SYS_READ, arch: x86}, retAllow},
		{"write", seccompData{nr: unix.SYS_WRITE, arch: x86}, retAllow},
		{"execve", seccompData{nr: unix.SYS_EXECVE, arch: x86}, retAllow},
		{"getpid", seccompData{nr: unix.SYS_GETPID, arch: x86}, retAllow},
		{"get_mempolicy", seccompData{nr: unix.SYS_GET_MEMPOLICY, arch: x86}, retAllow},
		{"set_robust_list", seccompData{nr: unix.SYS_SET_ROBUST_LIST, arch: x86}, retAllow},
		{"mount", seccompData{nr: unix.SYS_MOUNT, arch: x86}, retEPERM},
		{"keyctl", seccompData{nr: unix.SYS_KEYCTL, arch: x86}, retEPERM},
		{"unshare", seccompData{nr: unix.SYS_UNSHARE, arch: x86, args: [6]uint64{unix.CLONE_NEWUTS}}, retEPERM},
		{"unshare(0)", seccompData{nr: unix.SYS_UNSHARE, arch: x86}, retEPERM},
		{"setns", seccompData{nr: unix.SYS_SETNS, arch: x86}, retEPERM},
		{"ustat (last in list)", seccompData{nr: unix.SYS_USTAT, arch: x86}, retEPERM},
		{"acct (first in list)", seccompData{nr: unix.SYS_ACCT, arch: x86}, retEPERM},
		{"clone(SIGCHLD)", seccompData{nr: unix.SYS_CLONE, arch: x86, args: [6]uint64{uint64(unix.SIGCHLD)}}, retAllow},
		{"clone(thread)", seccompData{nr: unix.SYS_CLONE, arch: x86, args: [6]uint64{unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID}}, retAllow},
		{"clone(CLONE_NEWUSER)", seccompData{nr: unix.SYS_CLONE, arch: x86, args: [6]uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}}, retEPERM},
		{"clone(CLONE_NEWNS)", seccompData{nr: unix.SYS_CLONE, arch: x86, args: [6]uint64{unix.CLONE_NEWNS}}, retEPERM},
		{"clone(CLONE_NEWCGROUP)", seccompData{nr: unix.SYS_CLONE, arch: x86, args: [6]uint64{unix.CLONE_NEWCGROUP}}, retEPERM},
		{"clone(CLONE_NEWNET)", seccompData{nr: unix.SYS_CLONE, arch: x86, args: [6]uint64{unix.CLONE_NEWNET}}, retEPERM},
		{"clone3", seccompData{nr: unix.SYS_CLONE3, arch: x86}, retENOSYS},
		{"personality(0)", seccompData{nr: unix.SYS_PERSONALITY, arch: x86}, retAllow},
		{"personality(8)", seccompData{nr: unix.SYS_PERSONALITY, arch: x86, args: [6]uint64{0x8}}, retAllow},
		{"personality(0x20000)", seccompData{nr: unix.SYS_PERSONALITY, arch: x86, args: [6]uint64{0x20000}}, retAllow},
		{"personality(0x20008)", seccompData{nr: unix.SYS_PERSONALITY, arch: x86, args: [6]uint64{0x20008}}, retAllow},
		{"personality(0xffffffff)", seccompData{nr: unix.SYS_PERSONALITY, arch: x86, args: [6]uint64{0xffffffff}}, retAllow},
		{"personality(0x1234)", seccompData{nr: unix.SYS_PERSONALITY, arch: x86, args: [6]uint64{0x1234}}, retEPERM},
		{"personality(ADDR_NO_RANDOMIZE)", seccompData{nr: unix.SYS_PERSONALITY, arch: x86, args: [6]uint64{0x0040000}}, retEPERM},
		{"i386 getpid", seccompData{nr: 20, arch: unix.AUDIT_ARCH_I386}, retENOSYS},
		{"aarch64 read", seccompData{nr: 63, arch: unix.AUDIT_ARCH_AARCH64}, retENOSYS},
		{"x32 read", seccompData{nr: 0x40000000 | unix.SYS_READ, arch: x86}, retENOSYS},
		{"x32 mount", seccompData{nr: 0x40000000 | unix.SYS_MOUNT, arch: x86}, retENOSYS},
		{"nr -1", seccompData{nr: -1, arch: x86}, retENOSYS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, prog, tt.d); got != tt.want {
				t.Fatalf("got %#x, want %#x", got, tt.want)
			}
		})
	}
	// Every listed syscall gets EPERM, and every other native syscall
	// number except the conditional ones is allowed.
	for nr := int32(0); nr < 512; nr++ {
		want := uint32(retAllow)
		for _, s := range blockedSyscalls {
			if uint32(nr) == s.nr {
				want = retEPERM
			}
		}
		switch nr {
		case unix.SYS_CLONE3:
			want = retENOSYS
		case unix.SYS_CLONE, unix.SYS_PERSONALITY:
			// arg0 = 0: allowed.
		}
		if got := run(t, prog, seccompData{nr: nr, arch: x86}); got != want {
			t.Errorf("nr %d: got %#x, want %#x", nr, got, want)
		}
	}
}

// --- real kernel test ---

// installHelper runs in a subprocess. It installs the filter on its locked
// thread, checks some system calls, prints one line per check and then execs
// cat so the parent can see the filter survives exec. mode "caps" relies on
// CAP_SYS_ADMIN (root, or root of a user namespace); mode "nnp" sets
// no_new_privs first and needs no privilege at all.
func installHelper(mode string) int {
	runtime.LockOSThread()
	if mode == "nnp" {
		if err := SetNoNewPrivs(); err != nil {
			fmt.Println("FAIL SetNoNewPrivs:", err)
			return 1
		}
	}
	if err := Install(); err != nil {
		fmt.Println("FAIL Install:", err)
		return 1
	}
	failed := false
	check := func(name string, err, want error) {
		if err != want {
			fmt.Printf("FAIL %s: got %v, want %v\n", name, err, want)
			failed = true
			return
		}
		fmt.Printf("ok %s: %v\n", name, err)
	}
	pid, _, _ := unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
	if int(pid) != os.Getpid() {
		fmt.Printf("FAIL getpid: %d != %d\n", pid, os.Getpid())
		failed = true
	} else {
		fmt.Println("ok getpid")
	}
	check("unshare(CLONE_NEWUTS)", unix.Unshare(unix.CLONE_NEWUTS), unix.EPERM)
	_, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 0, 0, 0)
	check("keyctl", err, unix.EPERM)
	// Without the filter this fails with ENOENT (and never mounts anything).
	check("mount", unix.Mount("none", "/nonexistent/rpod-seccomp-test", "tmpfs", 0, ""), unix.EPERM)
	_, _, errno := unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
	check("clone3", errno, unix.ENOSYS)
	_, _, errno = unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
	check("personality(query)", errOf(errno), nil)
	_, _, errno = unix.RawSyscall(unix.SYS_PERSONALITY, 0x1234, 0, 0)
	check("personality(0x1234)", errno, unix.EPERM)
	st, err := os.ReadFile("/proc/thread-self/status")
	if err != nil || !strings.Contains(string(st), "\nSeccomp:\t2\n") {
		fmt.Println("FAIL thread status lacks Seccomp: 2", err)
		failed = true
	}
	if failed {
		return 1
	}
	fmt.Println("exec cat")
	os.Stdout.Sync()
	err = syscall.Exec("/bin/cat", []string{"cat", "/proc/self/status"}, os.Environ())
	fmt.Println("FAIL exec:", err)
	return 1
}

func errOf(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func TestInstallKernel(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	modes := []string{"caps", "nnp"}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), helperEnv+"="+mode)
			if mode == "caps" && os.Getuid() != 0 {
				// Be root of a new user namespace to have CAP_SYS_ADMIN there.
				cmd.SysProcAttr = fixture.UserNSRoot(0)
			}
			out, err := cmd.CombinedOutput()
			t.Logf("helper output:\n%s", helperLines(out))
			if err != nil {
				if cmd.Process == nil && os.Getuid() != 0 {
					t.Skipf("cannot create a user namespace: %v", err)
				}
				t.Fatalf("helper: %v", err)
			}
			s := string(out)
			if !strings.Contains(s, "exec cat\n") || !strings.Contains(s, "\nSeccomp:\t2\n") {
				t.Fatalf("exec'd process does not run under a seccomp filter:\n%s", s)
			}
			if mode == "nnp" && !strings.Contains(s, "\nNoNewPrivs:\t1\n") {
				t.Fatalf("exec'd process lacks no_new_privs:\n%s", s)
			}
		})
	}
}

// helperLines returns the helper's own lines, without cat's output.
func helperLines(out []byte) string {
	s, _, _ := strings.Cut(string(out), "exec cat\n")
	return s
}
