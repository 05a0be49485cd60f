package main

import (
	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
)

// identityFlags are run and create's --userns, --group-add and --init flags.
type identityFlags struct{}

func (f *identityFlags) add(fl *pflag.FlagSet) {}

// applyIdentity applies --userns, --group-add and --init to the spec.
func (f *runFlags) applyIdentity(spec *runtime.Spec) error { return nil }
