package step

import (
	"reflect"
	"testing"
)

// full sets every field, so that a field the C decoder drops shows.
var full = Spec{
	Rootfs: "/run/user/1000/rpod/overlay/abc/merged", Cwd: "/work", User: "app:tty", Hostname: "box",
	Args: []string{"sh", "-c", "echo 'a b'; exit 3", ""}, Env: []string{"PATH=/bin", "A=1=2", "EMPTY="},
	Terminal: true, NoNewPrivileges: true, Caps: 0x800405fb, CapLast: 40,
	Seccomp: []byte{0x20, 0, 0, 0, 4, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f}, SeccompFlags: 2, SeccompProfile: true,
	Mounts: []Mount{
		{Type: "bind", Source: "/home/u/src", Destination: "/src", Flags: 2, ReadOnly: true},
		{Type: "tmpfs", Destination: "/tmp", Data: "mode=1777,size=65536k", Flags: 14},
	},
	ReadOnly: true, Ulimits: []Ulimit{{Name: "nofile", Resource: 7, Soft: 1024, Hard: 1<<64 - 1}},
	ShmData: "mode=1777,size=67108864", Sysctls: [][2]string{{"net.ipv4.ip_forward", "1"}, {"kernel.hostname", ""}},
	Devices: []Device{{Source: "/dev/fuse", Destination: "/dev/fuse"}, {Source: "/dev/kvm", Destination: "/dev/kvm", Optional: true}},
	HostPID: true, HostIPC: true, HostUTS: true, HostCgroupNS: true,
	Masked: []string{"/proc/kcore", "/sys/firmware"}, ReadOnlyPaths: []string{"/proc/sys"},
	KeepID: &KeepID{UID: 1000, Name: "alice", Home: "/home/alice"}, GroupAdd: []string{"wheel", "1234"},
	InitPath: "/usr/bin/catatonit", NetNS: "/proc/42/ns/net",
	EtcFiles: []string{"/etc/hosts", "/etc/resolv.conf"}, EtcDir: "/run/user/1000/rpod/etc/abc",
	Console: &Console{Rows: 24, Cols: 80}, ParentDeathSignal: 9, AwaitNetwork: true,
}

func TestDecodeIsEncode(t *testing.T) {
	for name, s := range map[string]Spec{"full": full, "empty": {}, "exec": {Args: []string{"true"}, User: "1000", Caps: 1}} {
		t.Run(name, func(t *testing.T) {
			b := s.Encode()
			if n := specEnd(b); n != len(b) {
				t.Fatalf("spec_end = %d, want %d", n, len(b))
			}
			if n := specEnd(b[:len(b)-1]); n != 0 {
				t.Errorf("spec_end of all but the last byte = %d, want 0", n)
			}
			if got := decode(b); !reflect.DeepEqual(got, s) {
				t.Errorf("decoded:\n%+v\nwant:\n%+v", got, s)
			}
		})
	}
}

// The go-ahead may follow the spec in the same read: spec_end stops before it.
func TestSpecEndBeforeWhatFollows(t *testing.T) {
	b := full.Encode()
	if n := specEnd(append(b, 'g')); n != len(b) {
		t.Errorf("spec_end = %d, want %d", n, len(b))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(full.Encode())
	f.Add([]byte{'a', 1, 0, 0, 0})
	f.Add([]byte{'M', 3, 0, 0, 0, 'a', 0, 'b', 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := specEnd(b); n > 0 {
			decode(b[:n]) // must not crash on what rpod never sends
		}
	})
}

func FuzzEncodeDecode(f *testing.F) {
	f.Add("sh", "PATH=/bin", "/src", "1000:1000", uint64(0x800405fb))
	f.Fuzz(func(t *testing.T, arg, env, dst, user string, caps uint64) {
		for _, s := range []string{arg, env, dst, user} {
			for i := 0; i < len(s); i++ {
				if s[i] == 0 {
					return // no NUL in what rpod sends: an argument or a path cannot hold one
				}
			}
		}
		s := Spec{Args: []string{arg, arg}, Env: []string{env}, User: user, Caps: caps,
			Mounts: []Mount{{Type: "bind", Source: dst, Destination: dst}}, GroupAdd: []string{user}}
		if user == "" {
			s.GroupAdd = []string{""}
		}
		if got := decode(s.Encode()); !reflect.DeepEqual(got, s) {
			t.Errorf("decoded %+v, want %+v", got, s)
		}
	})
}
