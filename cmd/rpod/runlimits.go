package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
)

// limitFlags are run and create's resource, device and namespace-sharing flags.
type limitFlags struct {
	ulimits       []string
	shmSize       string
	sysctls       []string
	devices       []string
	pid, ipc, uts string
	cgroupFlags   // runcgroup.go
}

func (f *limitFlags) add(fl *pflag.FlagSet) {
	stringArrayVar(fl, &f.ulimits, "ulimit", "", "set a resource limit: NAME=SOFT[:HARD] (nofile, nproc, core...; -1 is unlimited), or host to keep rpod's own")
	fl.StringVar(&f.shmSize, "shm-size", "", "size of /dev/shm: a number with an optional unit b, k, m or g (default 64m)")
	stringArrayVar(fl, &f.sysctls, "sysctl", "", "set a namespaced kernel parameter: NAME=VALUE (net.*, fs.mqueue.*, kernel.shm*, kernel.msg*, kernel.sem)")
	stringArrayVar(fl, &f.devices, "device", "", "bind a host device into the container: HOST[:CONTAINER][:PERMISSIONS]")
	fl.StringVar(&f.pid, "pid", "", "pid namespace: private (default) or host")
	fl.StringVar(&f.ipc, "ipc", "", "IPC namespace: private (default) or host")
	fl.StringVar(&f.uts, "uts", "", "UTS namespace: private (default) or host")
	f.cgroupFlags.add(fl)
}

// applyLimits applies --ulimit, --shm-size, --sysctl, --device and --pid/--ipc/--uts to the spec.
func (f *runFlags) applyLimits(spec *runtime.Spec) error {
	var err error
	if spec.HostPID, err = runtime.ParseNamespaceMode("pid", f.pid); err != nil {
		return err
	}
	if spec.HostIPC, err = runtime.ParseNamespaceMode("ipc", f.ipc); err != nil {
		return err
	}
	if spec.HostUTS, err = runtime.ParseNamespaceMode("uts", f.uts); err != nil {
		return err
	}
	if spec.HostUTS && f.hostname != "" {
		return fmt.Errorf("--hostname cannot be set with --uts=host: the container uses the host's name")
	}
	if spec.Ulimits, err = parseUlimits(f.ulimits); err != nil {
		return err
	}
	if f.shmSize != "" {
		if spec.HostIPC {
			return fmt.Errorf("--shm-size cannot be set with --ipc=host: the container uses the host's /dev/shm")
		}
		if spec.ShmSize, err = parseSize(f.shmSize); err != nil {
			return fmt.Errorf("invalid --shm-size %q: %w", f.shmSize, err)
		}
	}
	for _, kv := range f.sysctls {
		name, value, err := runtime.ParseSysctl(kv, spec.HostIPC, spec.HostUTS)
		if err != nil {
			return err
		}
		if name == "kernel.hostname" {
			// The init step sets the hostname after the sysctls: make them one.
			if f.hostname != "" && f.hostname != value {
				return fmt.Errorf("--sysctl kernel.hostname=%s conflicts with --hostname %s: give one of them", value, f.hostname)
			}
			spec.Hostname = value
		}
		if spec.Sysctls == nil {
			spec.Sysctls = map[string]string{}
		}
		spec.Sysctls[name] = value
	}
	return f.applyDevices(spec)
}

// parseUlimits parses every --ulimit (a later one for the same name wins)
// and checks the hard limits against the user's own: `host` keeps rpod's.
func parseUlimits(args []string) ([]runtime.Ulimit, error) {
	var out []runtime.Ulimit
	for _, a := range args {
		if a == "host" {
			return nil, nil
		}
	}
	for _, a := range args {
		u, err := runtime.ParseUlimit(a)
		if err != nil {
			return nil, err
		}
		if err := runtime.CheckUlimit(u); err != nil {
			return nil, err
		}
		replaced := false
		for i := range out {
			if out[i].Name == u.Name {
				out[i], replaced = u, true
			}
		}
		if !replaced {
			out = append(out, u)
		}
	}
	return out, nil
}

// applyDevices checks every --device on the host now, so that a missing
// one fails create, and adds --privileged's host devices.
func (f *runFlags) applyDevices(spec *runtime.Spec) error {
	taken := map[string]bool{}
	for _, a := range f.devices {
		d, err := runtime.ParseDevice(a)
		if err != nil {
			return err
		}
		ds, err := runtime.ResolveDevice(d)
		if err != nil {
			return err
		}
		for _, d := range ds {
			taken[d.Destination] = true
		}
		spec.Devices = append(spec.Devices, ds...)
	}
	if f.privileged {
		for _, d := range runtime.PrivilegedDevices() {
			if !taken[d.Destination] {
				spec.Devices = append(spec.Devices, d)
			}
		}
	}
	return nil
}

// sizeUnits are podman's --shm-size units; a trailing b is allowed (64mb).
var sizeUnits = map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "g": 1 << 30, "gb": 1 << 30}

// parseSize parses podman's NUMBER[UNIT] (64m, 1g, 512kb, 1.5g) in bytes.
func parseSize(s string) (int64, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(s[i:])
	}
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("use a number with an optional unit b, k, m or g, e.g. 64m or 1g")
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || strings.Count(num, ".") > 1 || strings.HasPrefix(num, ".") || strings.HasSuffix(num, ".") {
		return 0, fmt.Errorf("use a number with an optional unit b, k, m or g, e.g. 64m or 1g")
	}
	v := n * mult
	if v < 1 {
		return 0, fmt.Errorf("the size must be greater than 0")
	}
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("the size is too large")
	}
	return int64(v), nil
}
