package step

/*
#include <stdlib.h>
#include "step.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// The C step's parts as Go functions, for tests, runtime's among them
// (which hold them against its Go functions): each call frees what the C
// code allocated.

func goStrings(v **C.char, n C.size_t) []string {
	if n == 0 {
		return nil
	}
	out := make([]string, 0, int(n))
	for _, p := range unsafe.Slice(v, int(n)) {
		out = append(out, C.GoString(p))
	}
	return out
}

// decode is spec.c's decode_spec of b, back as a Spec.
func decode(b []byte) Spec {
	defer C.step_free_all()
	var s C.struct_spec
	buf := C.CBytes(b)
	defer C.free(buf)
	C.decode_spec(&s, (*C.uchar)(buf), C.size_t(len(b)))
	out := Spec{
		Rootfs: C.GoString(s.rootfs), Cwd: C.GoString(s.cwd), User: C.GoString(s.user), Hostname: C.GoString(s.hostname),
		Args: goStrings(s.args.v, s.args.n), Env: goStrings(s.env.v, s.env.n),
		Terminal: s.terminal != 0, NoNewPrivileges: s.no_new_privs != 0,
		Caps: uint64(s.caps), CapLast: int(s.cap_last),
		SeccompFlags: uint(s.seccomp_flags), SeccompProfile: s.seccomp_profile != 0,
		ReadOnly: s.readonly != 0, ShmData: C.GoString(s.shm_data),
		HostPID: s.host_pid != 0, HostIPC: s.host_ipc != 0, HostUTS: s.host_uts != 0, HostCgroupNS: s.host_cgroupns != 0,
		Masked: goStrings(s.masked.v, s.masked.n), ReadOnlyPaths: goStrings(s.readonly_paths.v, s.readonly_paths.n),
		GroupAdd: goStrings(s.group_add.v, s.group_add.n),
		InitPath: C.GoString(s.init_path), NetNS: C.GoString(s.netns),
		EtcFiles: goStrings(s.etc_files.v, s.etc_files.n), EtcDir: C.GoString(s.etc_dir),
		ParentDeathSignal: int(s.pdeathsig), AwaitNetwork: s.await_network != 0,
	}
	if s.seccomp != nil {
		out.Seccomp = C.GoBytes(unsafe.Pointer(s.seccomp), C.int(s.seccomp_len))
	}
	for _, m := range unsafe.Slice(s.mounts, int(s.nmounts)) {
		out.Mounts = append(out.Mounts, Mount{Type: C.GoString(m._type), Source: C.GoString(m.source), Destination: C.GoString(m.dest),
			Data: C.GoString(m.data), Flags: uintptr(m.flags), ReadOnly: m.readonly != 0})
	}
	for _, u := range unsafe.Slice(s.ulimits, int(s.nulimits)) {
		out.Ulimits = append(out.Ulimits, Ulimit{Name: C.GoString(u.name), Resource: int(u.resource), Soft: uint64(u.soft), Hard: uint64(u.hard)})
	}
	sysctls := goStrings(s.sysctls.v, s.sysctls.n)
	for i := 0; i+1 < len(sysctls); i += 2 {
		out.Sysctls = append(out.Sysctls, [2]string{sysctls[i], sysctls[i+1]})
	}
	for _, d := range unsafe.Slice(s.devices, int(s.ndevices)) {
		out.Devices = append(out.Devices, Device{Source: C.GoString(d.source), Destination: C.GoString(d.dest), Optional: d.optional != 0})
	}
	if s.keepid != 0 {
		out.KeepID = &KeepID{UID: uint32(s.keepid_uid), Name: C.GoString(s.keepid_name), Home: C.GoString(s.keepid_home)}
	}
	if s.console != 0 {
		out.Console = &Console{Rows: uint16(s.console_rows), Cols: uint16(s.console_cols)}
	}
	return out
}

// specEnd is spec.c's spec_end.
func specEnd(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return int(C.spec_end((*C.uchar)(unsafe.Pointer(&b[0])), C.size_t(len(b))))
}

// CleanPath is path.c's path_clean, for tests.
func CleanPath(p string) string {
	defer C.step_free_all()
	cp := C.CString(p)
	defer C.free(unsafe.Pointer(cp))
	return C.GoString(C.path_clean(cp))
}

// ResolveIn is path.c's resolve_in, for tests.
func ResolveIn(root, p string) (string, error) {
	defer C.step_free_all()
	croot, cp := C.CString(root), C.CString(p)
	defer C.free(unsafe.Pointer(croot))
	defer C.free(unsafe.Pointer(cp))
	var buf [1024]C.char
	r := C.resolve_in(croot, cp, &buf[0], C.size_t(len(buf)))
	if r == nil {
		return "", errors.New(C.GoString(&buf[0]))
	}
	return C.GoString(r), nil
}

// User is the C step's struct exec_user.
type User struct {
	UID, GID uint32
	Groups   []uint32
	Home     string
}

// ResolveUser is user.c's resolve_user_in, then group_add_in with add, for
// tests; a nil passwd or group is no such file.
func ResolveUser(spec string, passwd, group *string, add []string) (User, error) {
	defer C.step_free_all()
	var u C.struct_exec_user
	var buf [1024]C.char
	text := func(s *string) *C.char {
		if s == nil {
			return nil
		}
		return (*C.char)(C.xtrack(unsafe.Pointer(C.CString(*s)))) // the C code cuts it up; freed with the rest
	}
	cspec := C.CString(spec)
	defer C.free(unsafe.Pointer(cspec))
	if C.resolve_user_in(cspec, text(passwd), text(group), &u, &buf[0], C.size_t(len(buf))) < 0 {
		return User{}, errors.New(C.GoString(&buf[0]))
	}
	var l C.struct_strv
	for _, a := range add {
		C.strv_add(&l, (*C.char)(C.xtrack(unsafe.Pointer(C.CString(a)))))
	}
	if C.group_add_in(&l, text(group), &u, &buf[0], C.size_t(len(buf))) < 0 {
		return User{}, errors.New(C.GoString(&buf[0]))
	}
	out := User{UID: uint32(u.uid), GID: uint32(u.gid), Home: C.GoString(u.home)}
	for _, g := range unsafe.Slice(u.groups, int(u.ngroups)) {
		out.Groups = append(out.Groups, uint32(g))
	}
	return out, nil
}
