package runtime

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/runtime/caps"
	"github.com/rpod/rpod/runtime/seccomp"
)

// CompileSeccompProfile parses and compiles s.SeccompProfile for the
// container's capabilities and the running kernel. create calls it to
// refuse a bad profile before the container exists.
func CompileSeccompProfile(s *Spec) (*seccomp.Program, error) {
	p, err := seccomp.ParseProfile([]byte(s.SeccompProfile))
	if err != nil {
		return nil, err
	}
	names := s.Caps
	if names == nil {
		names = caps.Default
	}
	var set []int
	for _, n := range names {
		c, err := caps.Parse(n)
		if err != nil {
			return nil, err
		}
		set = append(set, c...)
	}
	prog, err := p.Compile(seccomp.Env{Caps: caps.Names(set), Kernel: seccomp.RunningKernel()})
	if err != nil {
		return nil, err
	}
	var refused []string
	for _, c := range afterInstall(s) {
		if ok, err := prog.Allows(c.name, c.args); err != nil {
			return nil, err
		} else if !ok && !slices.Contains(refused, c.name) {
			refused = append(refused, c.name)
		}
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("it refuses %s, which rpod needs after installing the filter to start the command (podman's default profile allows them)",
			strings.Join(refused, ", "))
	}
	return prog, nil
}

type syscallArgs struct {
	name string
	args [6]uint64
}

// afterInstall lists the system calls execAs makes on the filtered thread
// between installSeccomp and the command's exec, and those the Go runtime
// cannot do without meanwhile (futex, rt_sigreturn) or to report an error
// (write, exit_group). A profile refusing one would kill the container
// before its command starts, with no word of why.
func afterInstall(s *Spec) []syscallArgs {
	list := []syscallArgs{
		{"prctl", [6]uint64{unix.PR_CAPBSET_DROP, unix.CAP_SYS_ADMIN}},
		{"prctl", [6]uint64{unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL}},
		{"capset", [6]uint64{}},
		{"setgroups", [6]uint64{}},
		{"setresgid", [6]uint64{}},
		{"setresuid", [6]uint64{}},
		{"execve", [6]uint64{}},
		{"write", [6]uint64{3}},
		{"exit_group", [6]uint64{}},
		{"futex", [6]uint64{}},
		{"rt_sigreturn", [6]uint64{}},
	}
	if s.NoNewPrivileges {
		list = append(list, syscallArgs{"prctl", [6]uint64{unix.PR_SET_NO_NEW_PRIVS, 1}})
	}
	return list
}
