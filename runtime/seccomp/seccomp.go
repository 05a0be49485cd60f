//go:build linux && amd64

// Package seccomp builds and installs rpod's default seccomp filter: a
// deny-list in the spirit of podman's default profile, written as a classic
// BPF program without libseccomp.
//
// The filter, for x86_64 only:
//
//   - returns ENOSYS for any architecture other than AUDIT_ARCH_X86_64
//     (including i386 compat system calls) and for x32 system call numbers
//     (bit 0x40000000 set);
//   - returns ENOSYS for clone3, so that C libraries fall back to clone,
//     whose flags the filter can inspect;
//   - returns EPERM for clone when its flags (arg0) ask for any new namespace;
//   - returns EPERM for personality unless arg0 is one of the personas
//     podman's profile allows (0x0, 0x8, 0x20000, 0x20008, 0xffffffff = query);
//   - returns EPERM for every system call in Blocked;
//   - allows everything else.
//
// Seccomp filters and no_new_privs are per-thread attributes. Install and
// SetNoNewPrivs act on the calling thread only (no SECCOMP_FILTER_FLAG_TSYNC):
// call them on a goroutine locked to its OS thread and exec from that thread.
package seccomp

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// blockedSyscalls are refused with EPERM. Not listed because x/sys has no
// x86_64 number for them (they exist only on i386): vm86, vm86old.
var blockedSyscalls = []struct {
	name string
	nr   uint32
}{
	{"acct", unix.SYS_ACCT},
	{"add_key", unix.SYS_ADD_KEY},
	{"bpf", unix.SYS_BPF},
	{"clock_adjtime", unix.SYS_CLOCK_ADJTIME},
	{"clock_settime", unix.SYS_CLOCK_SETTIME},
	{"create_module", unix.SYS_CREATE_MODULE},
	{"delete_module", unix.SYS_DELETE_MODULE},
	{"finit_module", unix.SYS_FINIT_MODULE},
	{"fsconfig", unix.SYS_FSCONFIG},
	{"fsmount", unix.SYS_FSMOUNT},
	{"fsopen", unix.SYS_FSOPEN},
	{"fspick", unix.SYS_FSPICK},
	{"get_kernel_syms", unix.SYS_GET_KERNEL_SYMS},
	{"init_module", unix.SYS_INIT_MODULE},
	{"ioperm", unix.SYS_IOPERM},
	{"iopl", unix.SYS_IOPL},
	{"kcmp", unix.SYS_KCMP},
	{"kexec_file_load", unix.SYS_KEXEC_FILE_LOAD},
	{"kexec_load", unix.SYS_KEXEC_LOAD},
	{"keyctl", unix.SYS_KEYCTL},
	{"lookup_dcookie", unix.SYS_LOOKUP_DCOOKIE},
	{"mount", unix.SYS_MOUNT},
	{"mount_setattr", unix.SYS_MOUNT_SETATTR},
	{"move_mount", unix.SYS_MOVE_MOUNT},
	{"name_to_handle_at", unix.SYS_NAME_TO_HANDLE_AT},
	{"nfsservctl", unix.SYS_NFSSERVCTL},
	{"open_by_handle_at", unix.SYS_OPEN_BY_HANDLE_AT},
	{"open_tree", unix.SYS_OPEN_TREE},
	{"perf_event_open", unix.SYS_PERF_EVENT_OPEN},
	{"pivot_root", unix.SYS_PIVOT_ROOT},
	{"quotactl", unix.SYS_QUOTACTL},
	{"quotactl_fd", unix.SYS_QUOTACTL_FD},
	{"reboot", unix.SYS_REBOOT},
	{"request_key", unix.SYS_REQUEST_KEY},
	{"setns", unix.SYS_SETNS},
	{"settimeofday", unix.SYS_SETTIMEOFDAY},
	{"swapoff", unix.SYS_SWAPOFF},
	{"swapon", unix.SYS_SWAPON},
	{"_sysctl", unix.SYS__SYSCTL},
	{"syslog", unix.SYS_SYSLOG},
	{"umount2", unix.SYS_UMOUNT2},
	{"unshare", unix.SYS_UNSHARE},
	{"uselib", unix.SYS_USELIB},
	{"userfaultfd", unix.SYS_USERFAULTFD},
	{"ustat", unix.SYS_USTAT},
}

// Blocked lists the system calls the default filter always refuses: those
// above with EPERM, plus clone3 with ENOSYS. See Restricted for the ones
// refused depending on their arguments.
var Blocked = func() []string {
	names := make([]string, 0, len(blockedSyscalls)+1)
	for _, s := range blockedSyscalls {
		names = append(names, s.name)
	}
	return append(names, "clone3")
}()

// Restricted lists the system calls the default filter refuses (EPERM) only
// for some arguments: clone with namespace flags, personality with a persona
// other than 0x0, 0x8, 0x20000, 0x20008 or 0xffffffff.
var Restricted = []string{"clone", "personality"}

const (
	// cloneNamespaceFlags is CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|
	// CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP.
	cloneNamespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
		unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP

	// x32SyscallBit marks x32 ABI system call numbers (__X32_SYSCALL_BIT).
	x32SyscallBit = 0x40000000

	// Offsets into struct seccomp_data (little endian).
	offNr   = 0
	offArch = 4
	offArg0 = 16 // low 32 bits of args[0]

	retAllow  = unix.SECCOMP_RET_ALLOW
	retEPERM  = unix.SECCOMP_RET_ERRNO | (uint32(unix.EPERM) & unix.SECCOMP_RET_DATA)
	retENOSYS = unix.SECCOMP_RET_ERRNO | (uint32(unix.ENOSYS) & unix.SECCOMP_RET_DATA)

	// bpfMaxInsns is the kernel's BPF_MAXINSNS.
	bpfMaxInsns = 4096
)

// allowedPersonas are the personality(2) arguments podman's default profile
// allows: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the
// query value 0xffffffff.
var allowedPersonas = []uint32{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}

// insn is one instruction of the program under assembly; jump targets are
// labels, resolved by assemble. A marker is no instruction: it only names
// the instruction that follows it.
type insn struct {
	label  string // label defined at this instruction, if any
	marker bool
	code   uint16
	k      uint32
	jt, jf string // conditional jump targets; "" means the next instruction
	target string // JA target
}

func ldAbs(off uint32) insn { return insn{code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, k: off} }
func ret(v uint32) insn     { return insn{code: unix.BPF_RET | unix.BPF_K, k: v} }
func jeq(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func jge(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func jgt(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func jset(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func and(k uint32) insn              { return insn{code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, k: k} }
func ja(target string) insn          { return insn{code: unix.BPF_JMP | unix.BPF_JA, target: target} }
func mark(name string) insn          { return insn{label: name, marker: true} }
func label(name string, i insn) insn { i.label = name; return i }

// assemble resolves labels into forward relative jump offsets and checks the
// limits of classic BPF: at most 4096 instructions, conditional jump offsets
// of at most 255, only forward jumps, and a RET as last instruction.
func assemble(src []insn) ([]unix.SockFilter, error) {
	labels := map[string]int{}
	prog := make([]insn, 0, len(src))
	for _, in := range src {
		if in.label != "" {
			if _, dup := labels[in.label]; dup {
				return nil, fmt.Errorf("seccomp: duplicate label %q", in.label)
			}
			labels[in.label] = len(prog)
		}
		if !in.marker {
			prog = append(prog, in)
		}
	}
	if len(prog) == 0 || len(prog) > bpfMaxInsns {
		return nil, fmt.Errorf("seccomp: program length %d out of range 1..%d", len(prog), bpfMaxInsns)
	}
	distance := func(from int, target string) (int, error) {
		to, ok := labels[target]
		if !ok {
			return 0, fmt.Errorf("seccomp: undefined label %q", target)
		}
		d := to - from - 1
		if d < 0 || to >= len(prog) {
			return 0, fmt.Errorf("seccomp: jump from %d to %q (%d) out of range", from, target, to)
		}
		return d, nil
	}
	offset := func(from int, target string) (uint8, error) {
		if target == "" {
			return 0, nil
		}
		d, err := distance(from, target)
		if err != nil {
			return 0, err
		}
		if d > 255 {
			return 0, fmt.Errorf("seccomp: jump from %d to %q is %d instructions, more than 255", from, target, d)
		}
		return uint8(d), nil
	}
	out := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		jt, err := offset(i, in.jt)
		if err != nil {
			return nil, err
		}
		jf, err := offset(i, in.jf)
		if err != nil {
			return nil, err
		}
		k := in.k
		isJump := in.code&0x07 == unix.BPF_JMP
		isJA := in.code == unix.BPF_JMP|unix.BPF_JA
		if isJA {
			if in.target == "" {
				return nil, fmt.Errorf("seccomp: instruction %d: JA without target", i)
			}
			d, err := distance(i, in.target)
			if err != nil {
				return nil, err
			}
			k = uint32(d)
		} else if in.target != "" {
			return nil, fmt.Errorf("seccomp: instruction %d is not JA but has a target", i)
		}
		if !isJump && (jt != 0 || jf != 0) {
			return nil, fmt.Errorf("seccomp: instruction %d is not a conditional jump but has targets", i)
		}
		if isJump && !isJA && i+1+int(max(jt, jf)) >= len(prog) {
			return nil, fmt.Errorf("seccomp: instruction %d jumps past the end", i)
		}
		out[i] = unix.SockFilter{Code: in.code, Jt: jt, Jf: jf, K: k}
	}
	if last := out[len(out)-1]; last.Code&0x07 != unix.BPF_RET {
		return nil, fmt.Errorf("seccomp: program does not end with RET")
	}
	return out, nil
}

// build writes the default program.
func build() ([]unix.SockFilter, error) {
	p := []insn{
		// Foreign architectures (i386 compat, ...) get ENOSYS.
		ldAbs(offArch),
		jeq(unix.AUDIT_ARCH_X86_64, "", "enosys"),
		// x32 system calls get ENOSYS.
		ldAbs(offNr),
		jge(x32SyscallBit, "enosys", ""),
		jeq(unix.SYS_CLONE3, "enosys", ""),
		jeq(unix.SYS_CLONE, "clone", ""),
		jeq(unix.SYS_PERSONALITY, "personality", ""),
	}
	for _, s := range blockedSyscalls {
		p = append(p, jeq(s.nr, "eperm", ""))
	}
	p = append(p,
		ret(retAllow),
		label("eperm", ret(retEPERM)),
		label("enosys", ret(retENOSYS)),

		// clone(flags, ...): refuse new namespaces. All namespace flags
		// are in the low 32 bits of arg0.
		label("clone", ldAbs(offArg0)),
		jset(cloneNamespaceFlags, "eperm2", "allow"),

		// personality(persona): the kernel takes an unsigned int, so only
		// the low 32 bits of arg0 matter.
		label("personality", ldAbs(offArg0)),
	)
	for _, v := range allowedPersonas {
		p = append(p, jeq(v, "allow", ""))
	}
	p = append(p,
		label("eperm2", ret(retEPERM)),
		label("allow", ret(retAllow)),
	)
	return assemble(p)
}

var defaultFilter = sync.OnceValues(build)

// DefaultFilter returns the default filter program. It is assembled once;
// each call returns a fresh copy the caller may modify.
func DefaultFilter() ([]unix.SockFilter, error) {
	f, err := defaultFilter()
	if err != nil {
		return nil, err
	}
	return append([]unix.SockFilter(nil), f...), nil
}

// Install loads the default filter on the calling thread with
// seccomp(SECCOMP_SET_MODE_FILTER, 0, prog), without
// SECCOMP_FILTER_FLAG_TSYNC: other threads of the process are not filtered.
// The kernel requires no_new_privs (SetNoNewPrivs) or CAP_SYS_ADMIN in the
// thread's user namespace, so the container init installs it before dropping
// capabilities. The filter is inherited by exec and by children.
func Install() error {
	f, err := defaultFilter()
	if err != nil {
		return err
	}
	return load(f, 0)
}

// load installs prog on the calling thread with seccomp(2) flags.
func load(f []unix.SockFilter, flags uintptr) error {
	if len(f) == 0 || len(f) > bpfMaxInsns {
		return fmt.Errorf("installing seccomp filter: program length %d out of range 1..%d", len(f), bpfMaxInsns)
	}
	prog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	var err error
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		err = errno
	}
	if errno == unix.ENOSYS && flags == 0 {
		// Kernels before 3.17 have no seccomp(2); prctl is equivalent
		// when no flags are needed.
		err = unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0)
	}
	runtime.KeepAlive(&prog)
	runtime.KeepAlive(f)
	if err != nil {
		return fmt.Errorf("installing seccomp filter: %w", err)
	}
	return nil
}

// SetNoNewPrivs sets PR_SET_NO_NEW_PRIVS on the calling thread: from then on
// exec cannot grant privileges (setuid bits, file capabilities) to it.
func SetNoNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	return nil
}
