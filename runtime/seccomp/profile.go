package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Profile is a seccomp profile in the OCI/Docker/podman JSON format, as
// found in /usr/share/containers/seccomp.json.
type Profile struct {
	DefaultAction   Action    `json:"defaultAction"`
	DefaultErrnoRet *uint     `json:"defaultErrnoRet,omitempty"`
	Architectures   []string  `json:"architectures,omitempty"`
	ArchMap         []ArchMap `json:"archMap,omitempty"`
	Flags           []string  `json:"flags,omitempty"`
	Syscalls        []Syscall `json:"syscalls,omitempty"`
}

// ArchMap is one entry of a profile's archMap.
type ArchMap struct {
	Arch    string   `json:"architecture"`
	SubArch []string `json:"subArchitectures,omitempty"`
}

// Syscall is one rule: an action for the named system calls, when every
// argument condition holds and the includes and excludes match.
type Syscall struct {
	Names    []string `json:"names,omitempty"`
	Name     string   `json:"name,omitempty"` // the old Docker format's single name
	Action   Action   `json:"action"`
	ErrnoRet *uint    `json:"errnoRet,omitempty"`
	Args     []Arg    `json:"args,omitempty"`
	Includes Match    `json:"includes,omitempty"`
	Excludes Match    `json:"excludes,omitempty"`
}

// Arg compares one system call argument with a value.
type Arg struct {
	Index    uint   `json:"index"`
	Value    uint64 `json:"value"`
	ValueTwo uint64 `json:"valueTwo,omitempty"`
	Op       Op     `json:"op"`
}

// Match selects the hosts and containers a rule applies to.
type Match struct {
	Caps      []string `json:"caps,omitempty"`
	Arches    []string `json:"arches,omitempty"`
	MinKernel string   `json:"minKernel,omitempty"`
}

// Action is a profile's SCMP_ACT_* name.
type Action string

// Actions rpod compiles. SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD.
const (
	ActAllow       Action = "SCMP_ACT_ALLOW"
	ActErrno       Action = "SCMP_ACT_ERRNO"
	ActKill        Action = "SCMP_ACT_KILL"
	ActKillThread  Action = "SCMP_ACT_KILL_THREAD"
	ActKillProcess Action = "SCMP_ACT_KILL_PROCESS"
	ActTrap        Action = "SCMP_ACT_TRAP"
	ActLog         Action = "SCMP_ACT_LOG"
	ActTrace       Action = "SCMP_ACT_TRACE"
)

var actions = []Action{ActAllow, ActErrno, ActKill, ActKillThread, ActKillProcess, ActTrap, ActLog, ActTrace}

// Op is a profile's SCMP_CMP_* comparison.
type Op string

// Comparisons of a 64-bit argument with Value; MaskedEq compares
// arg & Value with ValueTwo.
const (
	OpEq       Op = "SCMP_CMP_EQ"
	OpNe       Op = "SCMP_CMP_NE"
	OpLt       Op = "SCMP_CMP_LT"
	OpLe       Op = "SCMP_CMP_LE"
	OpGt       Op = "SCMP_CMP_GT"
	OpGe       Op = "SCMP_CMP_GE"
	OpMaskedEq Op = "SCMP_CMP_MASKED_EQ"
)

var ops = []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpMaskedEq}

// knownArches are the libseccomp architecture names a profile may list.
var knownArches = []string{
	"SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
	"SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
	"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
	"SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
	"SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
	"SCMP_ARCH_RISCV64", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
}

// knownFlags are the seccomp(2) filter flags a profile may ask for.
var knownFlags = []string{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}

// maxErrno is the kernel's MAX_ERRNO: a larger SECCOMP_RET_ERRNO value would
// not read as an error to the caller.
const maxErrno = 4095

// ParseProfile decodes and checks a profile. Unknown JSON fields are
// ignored, as podman does; unknown actions, operators, architectures, flags,
// argument indexes and kernel versions are errors.
func ParseProfile(data []byte) (*Profile, error) {
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("invalid JSON: more data after the profile object")
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// jsonError names the line and column of a decoding error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("invalid JSON: the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: the file ends in the middle of the profile")
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	// The decoder reports the offset after the offending byte.
	if off > 0 {
		off--
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("invalid JSON at line %d, column %d: %v", line, col, err)
}

func (p *Profile) check() error {
	if err := checkAction(p.DefaultAction, p.DefaultErrnoRet, "defaultAction", "defaultErrnoRet"); err != nil {
		return err
	}
	for _, a := range p.Architectures {
		if !contains(knownArches, a) {
			return fmt.Errorf("architectures: unknown architecture %q (want SCMP_ARCH_X86_64 and the like)", a)
		}
	}
	for _, m := range p.ArchMap {
		for _, a := range append([]string{m.Arch}, m.SubArch...) {
			if !contains(knownArches, a) {
				return fmt.Errorf("archMap: unknown architecture %q (want SCMP_ARCH_X86_64 and the like)", a)
			}
		}
	}
	for _, f := range p.Flags {
		if !contains(knownFlags, f) {
			return fmt.Errorf("flags: unknown flag %q (want one of %s)", f, strings.Join(knownFlags, ", "))
		}
	}
	for i, s := range p.Syscalls {
		if err := s.check(); err != nil {
			return fmt.Errorf("syscalls[%d]: %w", i, err)
		}
	}
	return nil
}

func (s *Syscall) check() error {
	names := s.names()
	if len(names) == 0 {
		return errors.New("no system call names (want \"names\": [...])")
	}
	for _, n := range names {
		if n == "" {
			return errors.New("empty system call name")
		}
	}
	if err := checkAction(s.Action, s.ErrnoRet, "action", "errnoRet"); err != nil {
		return err
	}
	for j, a := range s.Args {
		if a.Index > 5 {
			return fmt.Errorf("args[%d]: index %d out of range 0..5", j, a.Index)
		}
		if !contains(ops, a.Op) {
			return fmt.Errorf("args[%d]: unknown op %q (want one of %s)", j, a.Op, joinOps())
		}
	}
	for _, w := range []struct {
		what string
		f    Match
	}{{"includes", s.Includes}, {"excludes", s.Excludes}} {
		what, f := w.what, w.f
		if f.MinKernel != "" {
			if _, err := ParseKernelVersion(f.MinKernel); err != nil {
				return fmt.Errorf("%s.minKernel: %w", what, err)
			}
		}
		for _, c := range f.Caps {
			if c == "" {
				return fmt.Errorf("%s.caps: empty capability name", what)
			}
		}
	}
	return nil
}

// names is the rule's system call names, in either format.
func (s *Syscall) names() []string {
	if s.Name != "" {
		return append([]string{s.Name}, s.Names...)
	}
	return s.Names
}

func (a Action) check() error {
	if a == "SCMP_ACT_NOTIFY" {
		return errors.New("SCMP_ACT_NOTIFY needs a seccomp agent; rpod has none")
	}
	if !contains(actions, a) {
		names := make([]string, len(actions))
		for i, x := range actions {
			names[i] = string(x)
		}
		return fmt.Errorf("unknown action %q (want one of %s)", a, strings.Join(names, ", "))
	}
	return nil
}

// checkAction checks an action and the errno it returns, naming the
// profile's fields in errors.
func checkAction(a Action, errno *uint, actionField, errnoField string) error {
	if a == "" {
		return fmt.Errorf("%s is missing", actionField)
	}
	if err := a.check(); err != nil {
		return fmt.Errorf("%s: %w", actionField, err)
	}
	if err := checkErrno(errno); err != nil {
		return fmt.Errorf("%s: %w", errnoField, err)
	}
	return nil
}

func checkErrno(e *uint) error {
	if e != nil && *e > maxErrno {
		return fmt.Errorf("%d is out of range 0..%d", *e, maxErrno)
	}
	return nil
}

func joinOps() string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// KernelVersion is a kernel's major and minor version.
type KernelVersion struct{ Major, Minor int }

// Less reports whether k is older than o.
func (k KernelVersion) Less(o KernelVersion) bool {
	return k.Major < o.Major || k.Major == o.Major && k.Minor < o.Minor
}

// ParseKernelVersion reads "MAJOR.MINOR" with anything after the minor
// version ignored ("6.1.0-13-amd64", "4.8").
func ParseKernelVersion(s string) (KernelVersion, error) {
	maj, rest, ok := strings.Cut(s, ".")
	if !ok {
		return KernelVersion{}, fmt.Errorf("kernel version %q is not MAJOR.MINOR", s)
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(rest[:end])
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return KernelVersion{}, fmt.Errorf("kernel version %q is not MAJOR.MINOR", s)
	}
	return KernelVersion{a, b}, nil
}
