//go:build linux && !amd64

package seccomp

import "golang.org/x/sys/unix"

// Compile reports that rpod compiles profiles for x86_64 only.
func (p *Profile) Compile(env Env) (*Program, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return nil, errUnsupported
}

// load reports that rpod installs filters on x86_64 only.
func load(f []unix.SockFilter, flags uintptr) error { return errUnsupported }

// Allows reports that rpod compiles profiles for x86_64 only.
func (p *Program) Allows(name string, args [6]uint64) (bool, error) { return false, errUnsupported }
