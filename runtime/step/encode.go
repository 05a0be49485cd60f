package step

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// Spec is what rpod sends a step, worked out so that the step only applies
// it: spec.c decodes it into its struct spec.
type Spec struct {
	Rootfs, Cwd, User, Hostname string
	Args, Env                   []string
	Terminal, NoNewPrivileges   bool
	// Caps is the capability set of a root process; CapLast the kernel's last.
	Caps    uint64
	CapLast int
	// Seccomp is the BPF program to install (8-byte instructions), or nil;
	// SeccompProfile says it is the user's profile, not the default filter.
	Seccomp        []byte
	SeccompFlags   uint
	SeccompProfile bool
	Mounts         []Mount
	ReadOnly       bool
	Ulimits        []Ulimit
	ShmData        string // /dev/shm's tmpfs options
	Sysctls        [][2]string
	Devices        []Device
	HostPID        bool
	HostIPC        bool
	HostUTS        bool
	HostCgroupNS   bool
	Masked         []string
	ReadOnlyPaths  []string
	KeepID         *KeepID
	GroupAdd       []string
	InitPath       string // --init's binary, or ""
	NetNS          string // a network namespace's path to join, or ""
	EtcFiles       []string
	EtcDir         string
	Console        *Console
	// ParentDeathSignal is set again after the credentials change.
	ParentDeathSignal int
	AwaitNetwork      bool
}

// Mount is one of the user's volumes; Flags are nosuid, nodev and noexec.
type Mount struct {
	Type, Source, Destination, Data string
	Flags                           uintptr
	ReadOnly                        bool
}

// Ulimit is a resource limit by its setrlimit number.
type Ulimit struct {
	Name       string
	Resource   int
	Soft, Hard uint64
}

// Device is a host device bound into the container.
type Device struct {
	Source, Destination string
	Optional            bool
}

// KeepID is the passwd entry --userns keep-id adds when the image has none.
type KeepID struct {
	UID        uint32
	Name, Home string
}

// Console is the terminal's size as the command starts.
type Console struct{ Rows, Cols uint16 }

// Encode writes s as records of a tag byte, a 4-byte little-endian length
// and the value, whose fields are separated by NUL bytes; tag 0 ends it.
func (s *Spec) Encode() []byte {
	var b []byte
	rec := func(tag byte, fields ...string) {
		v := strings.Join(fields, "\x00")
		b = append(b, tag)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	flag := func(tag byte, on bool) {
		if on {
			rec(tag)
		}
	}
	str := func(tag byte, v string) {
		if v != "" {
			rec(tag, v)
		}
	}
	num := func(v uint64) string { return strconv.FormatUint(v, 10) }
	bit := func(on bool) string {
		if on {
			return "1"
		}
		return "0"
	}
	str('r', s.Rootfs)
	for _, a := range s.Args {
		rec('a', a)
	}
	for _, e := range s.Env {
		rec('e', e)
	}
	str('c', s.Cwd)
	str('u', s.User)
	str('h', s.Hostname)
	flag('t', s.Terminal)
	rec('C', num(s.Caps), strconv.Itoa(s.CapLast))
	if s.Seccomp != nil {
		rec('S', string(s.Seccomp))
		rec('F', num(uint64(s.SeccompFlags)))
		flag('p', s.SeccompProfile)
	}
	flag('N', s.NoNewPrivileges)
	for _, m := range s.Mounts {
		rec('M', m.Type, m.Source, m.Destination, m.Data, num(uint64(m.Flags)), bit(m.ReadOnly))
	}
	flag('R', s.ReadOnly)
	for _, u := range s.Ulimits {
		rec('L', u.Name, strconv.Itoa(u.Resource), num(u.Soft), num(u.Hard))
	}
	str('z', s.ShmData)
	for _, kv := range s.Sysctls {
		rec('Y', kv[0], kv[1])
	}
	for _, d := range s.Devices {
		rec('D', d.Source, d.Destination, bit(d.Optional))
	}
	for _, h := range []struct {
		on   bool
		name string
	}{{s.HostPID, "pid"}, {s.HostIPC, "ipc"}, {s.HostUTS, "uts"}, {s.HostCgroupNS, "cgroupns"}} {
		if h.on {
			rec('H', h.name)
		}
	}
	for _, p := range s.Masked {
		rec('m', p)
	}
	for _, p := range s.ReadOnlyPaths {
		rec('o', p)
	}
	if k := s.KeepID; k != nil {
		rec('K', num(uint64(k.UID)), k.Name, k.Home)
	}
	for _, g := range s.GroupAdd {
		rec('G', g)
	}
	str('I', s.InitPath)
	str('n', s.NetNS)
	for _, e := range s.EtcFiles {
		rec('E', e)
	}
	str('d', s.EtcDir)
	if c := s.Console; c != nil {
		rec('W', strconv.Itoa(int(c.Rows)), strconv.Itoa(int(c.Cols)))
	}
	if s.ParentDeathSignal != 0 {
		rec('P', strconv.Itoa(s.ParentDeathSignal))
	}
	flag('A', s.AwaitNetwork)
	return append(b, 0, 0, 0, 0, 0)
}
