//go:build linux

package seccomp

import "golang.org/x/sys/unix"

// Env is what a profile's includes and excludes are matched against.
type Env struct {
	// Caps are the container's capabilities (bounding set), "CAP_" names.
	Caps   []string
	Kernel KernelVersion
}

// Program is a compiled profile, ready to install.
type Program struct {
	Insns []unix.SockFilter
	// Flags are the seccomp(2) flags the profile asks for.
	Flags uintptr
	// Skipped are the names in rules that apply but that x86_64 has no
	// system call for; libseccomp skips them too.
	Skipped []string
}

// Install loads the program on the calling thread, as Install does the
// default filter.
func (p *Program) Install() error { return load(p.Insns, p.Flags) }

// RunningKernel is the version of the kernel rpod runs on.
func RunningKernel() KernelVersion {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return KernelVersion{}
	}
	v, _ := ParseKernelVersion(unix.ByteSliceToString(u.Release[:]))
	return v
}
