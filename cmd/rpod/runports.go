package main

import (
	"github.com/spf13/pflag"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/netslirp"
)

// portFlags are run and create's -p and -P.
type portFlags struct{}

func (f *portFlags) add(fl *pflag.FlagSet) {}

// applyPorts adds -p and -P (the image's EXPOSE ports) to the network config.
func (f *runFlags) applyPorts(cfg *netslirp.Config, ic image.Config) error { return nil }
