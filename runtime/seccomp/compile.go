//go:build linux && amd64

package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// nativeArches are the names includes/excludes.arches use for x86_64.
var nativeArches = []string{"amd64", "x86_64"}

// rule is one applicable profile rule for one system call.
type rule struct {
	args []Arg
	ret  uint32
}

// Compile turns a checked profile into a classic BPF program for x86_64:
//
//   - other architectures (i386 compat calls included) and x32 system call
//     numbers get ENOSYS, whatever the profile says: rpod compiles the
//     x86_64 table only, and letting them through would bypass the profile;
//   - each system call's rules that apply to env are tried in profile order
//     and the first whose argument conditions all hold decides; an
//     unconditional rule ends the list;
//   - every other system call gets defaultAction.
//
// Within a rule, conditions on arguments are ANDed and compare the full
// 64-bit value, both 32-bit halves.
func (p *Profile) Compile(env Env) (*Program, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	dflt := retValue(p.DefaultAction, p.DefaultErrnoRet)
	plans := map[uint32][]rule{}
	skipped := map[string]bool{}
	for _, s := range p.Syscalls {
		if !applies(s, env) {
			continue
		}
		r := rule{args: s.Args, ret: retValue(s.Action, s.ErrnoRet)}
		for _, name := range s.names() {
			nr, ok := syscallNumbers[name]
			if !ok {
				skipped[name] = true
				continue
			}
			plan := plans[nr]
			if len(plan) > 0 && len(plan[len(plan)-1].args) == 0 {
				continue // an earlier unconditional rule decides
			}
			plans[nr] = append(plan, r)
		}
	}
	prog := &Program{}
	for n := range skipped {
		prog.Skipped = append(prog.Skipped, n)
	}
	slices.Sort(prog.Skipped)
	for _, f := range p.Flags {
		switch f {
		case "SECCOMP_FILTER_FLAG_LOG":
			prog.Flags |= unix.SECCOMP_FILTER_FLAG_LOG
		case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
			prog.Flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		}
		// TSYNC: the filter is installed on the one thread that execs.
	}
	insns, err := assemble(generate(plans, dflt))
	if err != nil {
		return nil, fmt.Errorf("the profile does not fit in a seccomp program: %w", err)
	}
	prog.Insns = insns
	return prog, nil
}

// interval is a run of consecutive system call numbers with one plan: a
// plain action (ret) or, for a single number, a block of conditional rules.
type interval struct {
	lo, hi uint32
	ret    uint32
	block  bool
}

// generate writes the program: arch check, then a walk over the sorted
// intervals of system calls with an action other than the default, then
// the blocks of the system calls whose rules look at arguments.
func generate(plans map[uint32][]rule, dflt uint32) []insn {
	nrs := make([]uint32, 0, len(plans))
	for nr, plan := range plans {
		if len(plan) == 1 && len(plan[0].args) == 0 && plan[0].ret == dflt {
			continue
		}
		nrs = append(nrs, nr)
	}
	slices.Sort(nrs)
	var ivs []interval
	for _, nr := range nrs {
		plan := plans[nr]
		block := len(plan) > 1 || len(plan[0].args) > 0
		if !block && len(ivs) > 0 {
			last := &ivs[len(ivs)-1]
			if !last.block && last.hi+1 == nr && last.ret == plan[0].ret {
				last.hi = nr
				continue
			}
		}
		ivs = append(ivs, interval{lo: nr, hi: nr, ret: plan[0].ret, block: block})
	}

	p := []insn{
		ldAbs(offArch),
		jeq(unix.AUDIT_ARCH_X86_64, "", "enosys"),
		ldAbs(offNr),
		jge(x32SyscallBit, "enosys", "dispatch"),
		label("enosys", ret(retENOSYS)),
		mark("dispatch"),
	}
	for i, iv := range ivs {
		next := fmt.Sprintf("iv%d", i+1)
		miss := fmt.Sprintf("iv%d.default", i)
		p = append(p,
			label(fmt.Sprintf("iv%d", i), jgt(iv.hi, next, "")),
			jge(iv.lo, "", miss),
		)
		if iv.block {
			p = append(p, ja(fmt.Sprintf("sys%d", iv.lo)))
		} else {
			p = append(p, ret(iv.ret))
		}
		p = append(p, label(miss, ret(dflt)))
	}
	p = append(p, label(fmt.Sprintf("iv%d", len(ivs)), ret(dflt)))
	for _, iv := range ivs {
		if iv.block {
			p = append(p, ruleBlock(iv.lo, plans[iv.lo], dflt)...)
		}
	}
	return p
}

// ruleBlock tries nr's rules in order; the default action when none holds.
func ruleBlock(nr uint32, plan []rule, dflt uint32) []insn {
	p := []insn{mark(fmt.Sprintf("sys%d", nr))}
	for j, r := range plan {
		fail := fmt.Sprintf("sys%d.r%d", nr, j+1)
		for c, a := range r.args {
			p = append(p, compare(a, fmt.Sprintf("sys%d.r%d.c%d", nr, j, c), fail)...)
		}
		p = append(p, ret(r.ret))
		if len(r.args) == 0 {
			return p // nothing after an unconditional rule is reachable
		}
		p = append(p, mark(fail))
	}
	return append(p, ret(dflt))
}

// compare falls through when argument a.Index satisfies the condition and
// jumps to fail when not. name prefixes its own labels.
func compare(a Arg, name, fail string) []insn {
	hiOff := uint32(offArg0 + 8*a.Index + 4)
	loOff := uint32(offArg0 + 8*a.Index)
	vhi, vlo := uint32(a.Value>>32), uint32(a.Value)
	ok := name + ".ok"
	switch a.Op {
	case OpEq:
		return []insn{
			ldAbs(hiOff), jeq(vhi, "", fail),
			ldAbs(loOff), jeq(vlo, "", fail),
		}
	case OpNe:
		return []insn{
			ldAbs(hiOff), jeq(vhi, "", ok),
			ldAbs(loOff), jeq(vlo, fail, ""),
			mark(ok),
		}
	case OpGt, OpGe:
		last := jgt(vlo, ok, fail)
		if a.Op == OpGe {
			last = jge(vlo, ok, fail)
		}
		return []insn{
			ldAbs(hiOff), jgt(vhi, ok, ""), jeq(vhi, "", fail),
			ldAbs(loOff), last,
			mark(ok),
		}
	case OpLt, OpLe:
		// Not GE, not GT.
		last := jge(vlo, fail, ok)
		if a.Op == OpLe {
			last = jgt(vlo, fail, ok)
		}
		return []insn{
			ldAbs(hiOff), jgt(vhi, fail, ""), jeq(vhi, "", ok),
			ldAbs(loOff), last,
			mark(ok),
		}
	case OpMaskedEq:
		mhi, mlo := vhi, vlo
		dhi, dlo := uint32(a.ValueTwo>>32), uint32(a.ValueTwo)
		return []insn{
			ldAbs(hiOff), and(mhi), jeq(dhi, "", fail),
			ldAbs(loOff), and(mlo), jeq(dlo, "", fail),
		}
	}
	panic("seccomp: unchecked op " + string(a.Op))
}

// retValue is the SECCOMP_RET_* value of an action; errno defaults to EPERM.
func retValue(a Action, errnoRet *uint) uint32 {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		data = uint32(*errnoRet) & unix.SECCOMP_RET_DATA
	}
	switch a {
	case ActAllow:
		return unix.SECCOMP_RET_ALLOW
	case ActErrno:
		return unix.SECCOMP_RET_ERRNO | data
	case ActKill, ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD
	case ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS
	case ActTrap:
		return unix.SECCOMP_RET_TRAP
	case ActLog:
		return unix.SECCOMP_RET_LOG
	case ActTrace:
		// With no tracer attached the kernel fails the call with ENOSYS;
		// a tracer (strace, gdb in the container) sees data as message.
		return unix.SECCOMP_RET_TRACE | data
	}
	panic("seccomp: unchecked action " + string(a))
}

// applies reports whether a rule's includes and excludes select env.
func applies(s Syscall, env Env) bool {
	in, ex := s.Includes, s.Excludes
	if len(in.Arches) > 0 && !anyIn(nativeArches, in.Arches) {
		return false
	}
	if anyIn(nativeArches, ex.Arches) {
		return false
	}
	have := map[string]bool{}
	for _, c := range env.Caps {
		have[capName(c)] = true
	}
	for _, c := range in.Caps {
		if !have[capName(c)] {
			return false
		}
	}
	for _, c := range ex.Caps {
		if have[capName(c)] {
			return false
		}
	}
	if in.MinKernel != "" {
		if v, err := ParseKernelVersion(in.MinKernel); err != nil || env.Kernel.Less(v) {
			return false
		}
	}
	if ex.MinKernel != "" {
		if v, err := ParseKernelVersion(ex.MinKernel); err == nil && !env.Kernel.Less(v) {
			return false
		}
	}
	return true
}

func anyIn(want, list []string) bool {
	for _, w := range want {
		if slices.Contains(list, w) {
			return true
		}
	}
	return false
}

// capName canonicalises "sys_admin" and "CAP_SYS_ADMIN" to the latter.
func capName(c string) string {
	c = strings.ToUpper(c)
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	return c
}

// Allows reports whether the program lets the named x86_64 system call
// through (SCMP_ACT_ALLOW or SCMP_ACT_LOG) with these arguments. A name
// x86_64 does not have is an error.
func (p *Program) Allows(name string, args [6]uint64) (bool, error) {
	nr, ok := syscallNumbers[name]
	if !ok {
		return false, fmt.Errorf("no x86_64 system call %q", name)
	}
	var data [64]byte
	binary.LittleEndian.PutUint32(data[offNr:], nr)
	binary.LittleEndian.PutUint32(data[offArch:], unix.AUDIT_ARCH_X86_64)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[offArg0+8*i:], a)
	}
	r, err := eval(p.Insns, data[:])
	if err != nil {
		return false, err
	}
	return r == unix.SECCOMP_RET_ALLOW || r == unix.SECCOMP_RET_LOG, nil
}

// eval runs a program of the instructions this package emits on one
// struct seccomp_data and returns the RET value.
func eval(prog []unix.SockFilter, data []byte) (uint32, error) {
	var a uint32
	for pc := 0; pc < len(prog); {
		in := prog[pc]
		pc++
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if int(in.K)+4 > len(data) {
				return 0, fmt.Errorf("seccomp: load beyond seccomp_data at %d", pc-1)
			}
			a = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
			a &= in.K
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += branch(a == in.K, in)
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
			pc += branch(a > in.K, in)
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += branch(a >= in.K, in)
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += branch(a&in.K != 0, in)
		case unix.BPF_RET | unix.BPF_K:
			return in.K, nil
		default:
			return 0, fmt.Errorf("seccomp: unexpected instruction %#x at %d", in.Code, pc-1)
		}
	}
	return 0, errors.New("seccomp: program ran past its end")
}

func branch(cond bool, in unix.SockFilter) int {
	if cond {
		return int(in.Jt)
	}
	return int(in.Jf)
}
