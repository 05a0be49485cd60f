package main

import (
	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
)

// logFlags are run and create's --log-driver and --log-opt flags.
type logFlags struct{}

func (f *logFlags) add(fl *pflag.FlagSet) {}

// applyLog records the log options in the container's config.
func (f *runFlags) applyLog(cfg *runtime.Config) error { return nil }
