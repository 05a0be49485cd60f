package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/runtime/caps"
)

// securityFlags are run and create's capability and confinement flags.
type securityFlags struct {
	capAdd, capDrop []string
	privileged      bool
	securityOpts    []string
}

func (f *securityFlags) add(fl *pflag.FlagSet) {
	fl.StringArrayVar(&f.capAdd, "cap-add", nil, "add a capability (NAME, or ALL) to podman's default set")
	fl.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop a capability (NAME, or ALL) from podman's default set")
	fl.BoolVar(&f.privileged, "privileged", false, "every capability of rpod's user namespace and no seccomp filter (still no more than the user has on the host)")
	fl.StringArrayVar(&f.securityOpts, "security-opt", nil, "no-new-privileges, or seccomp=unconfined")
}

// applySecurity applies --cap-add, --cap-drop, --privileged and
// --security-opt to the spec, as podman does.
func (f *runFlags) applySecurity(spec *runtime.Spec) error {
	set := map[int]bool{}
	for _, n := range caps.Default {
		c, _ := caps.Parse(n)
		set[c[0]] = true
	}
	for _, n := range f.capDrop {
		cs, err := caps.Parse(n)
		if err != nil {
			return fmt.Errorf("--cap-drop: %w", err)
		}
		for _, c := range cs {
			delete(set, c)
		}
	}
	for _, n := range f.capAdd {
		cs, err := caps.Parse(n)
		if err != nil {
			return fmt.Errorf("--cap-add: %w", err)
		}
		for _, c := range cs {
			set[c] = true
		}
	}
	if len(f.capAdd) > 0 || len(f.capDrop) > 0 {
		var nums []int
		for c := range set {
			nums = append(nums, c)
		}
		spec.Caps = append([]string{}, caps.Names(nums)...)
	}
	if f.privileged {
		spec.Caps, spec.Seccomp = []string{"ALL"}, false
	}
	for _, o := range f.securityOpts {
		switch strings.ReplaceAll(o, ":", "=") {
		case "no-new-privileges", "no-new-privileges=true":
			spec.NoNewPrivileges = true
		case "no-new-privileges=false":
			spec.NoNewPrivileges = false
		case "seccomp=unconfined":
			spec.Seccomp = false
		default:
			return fmt.Errorf("unsupported --security-opt %q: rpod takes no-new-privileges and seccomp=unconfined", o)
		}
	}
	return nil
}
