package runtime

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/runtime/caps"
	"github.com/rpod/rpod/runtime/seccomp"
	"github.com/rpod/rpod/runtime/step"
)

// defaultShmSize is podman's /dev/shm size.
const defaultShmSize = 64 << 20

// stepSpec is spec as a step (runtime/step, in C) takes it: what needs
// rpod's packages is worked out here, so that the step only applies it:
// the capability set, the seccomp program, the masked paths and a network
// namespace's path. An error is an *ExitError, as the step would send it.
func stepSpec(s *Spec) (*step.Spec, error) {
	out := &step.Spec{
		Rootfs: s.Rootfs, Cwd: s.Cwd, User: s.User, Hostname: s.Hostname,
		Args: s.Args, Env: s.Env, Terminal: s.Terminal, NoNewPrivileges: s.NoNewPrivileges,
		ReadOnly: s.ReadOnly, HostPID: s.HostPID, HostIPC: s.HostIPC, HostUTS: s.HostUTS, HostCgroupNS: s.HostCgroupNS,
		EtcFiles: s.EtcFiles, EtcDir: s.EtcDir, ParentDeathSignal: s.ParentDeathSignal, AwaitNetwork: s.AwaitNetwork,
	}
	var err error
	if out.Caps, err = capMask(s.Caps); err != nil {
		return nil, err
	}
	out.CapLast = caps.Last()
	if err := seccompProgram(s, out); err != nil {
		return nil, err
	}
	for _, m := range s.Mounts {
		var flags uintptr
		for _, o := range m.Options {
			flags |= mountFlags[o]
		}
		out.Mounts = append(out.Mounts, step.Mount{Type: m.Type, Source: m.Source, Destination: m.Destination, Data: m.Data, Flags: flags, ReadOnly: m.ReadOnly})
	}
	for _, u := range s.Ulimits {
		r, ok := rlimits[u.Name]
		if !ok {
			return nil, fail(ExitRpodError, "unknown --ulimit %q", u.Name)
		}
		out.Ulimits = append(out.Ulimits, step.Ulimit{Name: u.Name, Resource: r.res, Soft: u.Soft, Hard: u.Hard})
	}
	size := s.ShmSize
	if size <= 0 {
		size = defaultShmSize
	}
	out.ShmData = fmt.Sprintf("mode=1777,size=%d", size)
	names := make([]string, 0, len(s.Sysctls))
	for n := range s.Sysctls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, c := range strings.Split(n, ".") {
			if c == "" || c == ".." || strings.Contains(c, "/") {
				return nil, fail(ExitRpodError, "invalid --sysctl name %q", n)
			}
		}
		out.Sysctls = append(out.Sysctls, [2]string{n, s.Sysctls[n]})
	}
	for _, d := range s.Devices {
		out.Devices = append(out.Devices, step.Device{Source: d.Source, Destination: d.Destination, Optional: d.Optional})
	}
	out.Masked, out.ReadOnlyPaths = MaskedPaths(s.MaskPaths, s.UnmaskPaths)
	if n := s.UserNS; n.Mode == UserNSKeepID && n.UserName != "" && !strings.ContainsAny(n.UserName, ":\n") {
		if uid, ok := n.keepIDUID(); ok {
			out.KeepID = &step.KeepID{UID: uid, Name: n.UserName, Home: n.UserHome}
		}
	}
	for _, g := range s.GroupAdd {
		if err := CheckGroupAdd(g); err != nil {
			return nil, fail(ExitRpodError, "%v", err)
		}
	}
	out.GroupAdd = s.GroupAdd
	if s.Init {
		if s.InitPath == "" {
			return nil, fail(ExitRpodError, "%v", ErrNoInit)
		}
		out.InitPath = s.InitPath
	}
	if s.NetNS != "" {
		if out.NetNS, err = netNSPath(s.NetNS); err != nil { // netns.go
			return nil, err
		}
	}
	if cs := s.ConsoleSize; cs != nil {
		out.Console = &step.Console{Rows: cs.Rows, Cols: cs.Cols}
	}
	return out, nil
}

// capMask is the capability set of a root process: nil names are caps.Default.
func capMask(names []string) (uint64, error) {
	if names == nil {
		names = caps.Default
	}
	last := caps.Last()
	var mask uint64
	for _, n := range names {
		cs, err := caps.Parse(n)
		if err != nil {
			return 0, fail(ExitRpodError, "%v", err)
		}
		for _, c := range cs {
			if c <= last {
				mask |= 1 << uint(c)
			}
		}
	}
	return mask, nil
}

// seccompProgram sets the seccomp program the step installs: the default
// filter, or the user's profile compiled for this container.
func seccompProgram(s *Spec, out *step.Spec) error {
	if !s.Seccomp {
		return nil
	}
	var insns []unix.SockFilter
	what := "filter"
	if s.SeccompProfile == "" {
		f, err := seccomp.DefaultFilter()
		if err != nil {
			return fail(ExitRpodError, "install seccomp filter: %v", err)
		}
		insns = f
	} else {
		prog, err := CompileSeccompProfile(s) // seccompopt.go
		if err != nil {
			return fail(ExitRpodError, "seccomp profile: %v", err)
		}
		insns, out.SeccompFlags, out.SeccompProfile, what = prog.Insns, uint(prog.Flags), true, "profile"
	}
	const bpfMaxInsns = 4096
	if len(insns) == 0 || len(insns) > bpfMaxInsns {
		return fail(ExitRpodError, "install seccomp %s: installing seccomp filter: program length %d out of range 1..%d", what, len(insns), bpfMaxInsns)
	}
	code := make([]byte, 0, 8*len(insns))
	for _, in := range insns {
		code = binary.LittleEndian.AppendUint16(code, in.Code)
		code = append(code, in.Jt, in.Jf)
		code = binary.LittleEndian.AppendUint32(code, in.K)
	}
	out.Seccomp = code
	return nil
}

// fail is an error the step would have sent, with podman's exit code.
func fail(code int, format string, args ...any) error {
	return &ExitError{Code: code, Msg: fmt.Sprintf(format, args...)}
}
