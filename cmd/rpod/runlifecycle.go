package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
)

// lifecycleFlags are run and create's --restart and --stop-timeout flags.
type lifecycleFlags struct {
	restart     restartFlag
	stopTimeout stopTimeoutFlag
}

func (f *lifecycleFlags) add(fl *pflag.FlagSet) {
	fl.Var(&f.restart, "restart", "restart policy when the command exits: no, on-failure[:N], always or unless-stopped")
	fl.Var(&f.stopTimeout, "stop-timeout", "seconds rpod stop waits for the stop signal before killing (default 10)")
}

// applyLifecycle records --restart and --stop-timeout in the container's config.
func (f *runFlags) applyLifecycle(cfg *runtime.Config) error {
	if f.rm && f.restart.p.Active() {
		return errors.New(`the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"`)
	}
	cfg.RestartPolicy = f.restart.p
	if f.stopTimeout.set {
		t := f.stopTimeout.v
		cfg.StopTimeout = &t
	}
	return nil
}

// restartFlag parses --restart as it is given, so that a bad policy fails
// before any image is pulled.
type restartFlag struct {
	s string
	p runtime.RestartPolicy
}

func (r *restartFlag) String() string { return r.s }
func (r *restartFlag) Type() string   { return "string" }
func (r *restartFlag) Set(s string) error {
	p, err := runtime.ParseRestartPolicy(s)
	if err != nil {
		return err
	}
	r.s, r.p = s, p
	return nil
}

// stopTimeoutFlag is --stop-timeout, remembering whether it was given.
type stopTimeoutFlag struct {
	v   uint
	set bool
}

func (t *stopTimeoutFlag) String() string {
	if !t.set {
		return ""
	}
	return strconv.FormatUint(uint64(t.v), 10)
}
func (t *stopTimeoutFlag) Type() string { return "uint" }
func (t *stopTimeoutFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return fmt.Errorf("want a number of seconds, 0 or more")
	}
	t.v, t.set = uint(v), true
	return nil
}
