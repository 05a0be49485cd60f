package runtime

import (
	"strings"
	"testing"
)

func TestParseSysctl(t *testing.T) {
	for _, c := range []struct {
		in               string
		hostIPC, hostUTS bool
		name, value, err string
	}{
		{in: "net.ipv4.ip_forward=1", name: "net.ipv4.ip_forward", value: "1"},
		{in: "net/ipv4/ip_forward=1", name: "net.ipv4.ip_forward", value: "1"},
		{in: "kernel.shmmax=1000000", name: "kernel.shmmax", value: "1000000"},
		{in: "kernel.sem=250 32000 32 128", name: "kernel.sem", value: "250 32000 32 128"},
		{in: "fs.mqueue.msg_max=20", name: "fs.mqueue.msg_max", value: "20"},
		{in: "kernel.hostname=box", name: "kernel.hostname", value: "box"},
		{in: "net.core.somaxconn=", name: "net.core.somaxconn", value: ""},
		{in: "net.ipv4.ip_forward=1", hostIPC: true, hostUTS: true, name: "net.ipv4.ip_forward", value: "1"},
		{in: "kernel.shmmax=1", hostIPC: true, err: "not allowed with --ipc=host"},
		{in: "fs.mqueue.msg_max=1", hostIPC: true, err: "not allowed with --ipc=host"},
		{in: "kernel.domainname=x", hostUTS: true, err: "not allowed with --uts=host"},
		{in: "vm.swappiness=10", err: "not namespaced"},
		{in: "kernel.pid_max=10", err: "not namespaced"},
		{in: "fs.mqueue=1", err: "not namespaced"},
		{in: "kernel.shmmax", err: "use NAME=VALUE"},
		{in: "=1", err: "use NAME=VALUE"},
		{in: " net.x=1", err: "blanks"},
		{in: "net..x=1", err: "not a sysctl name"},
		{in: "net/../vm/swappiness=1", err: "not a sysctl name"},
		{in: "net.=1", err: "not a sysctl name"},
	} {
		name, value, err := ParseSysctl(c.in, c.hostIPC, c.hostUTS)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseSysctl(%q) = %q, %q, %v; want error with %q", c.in, name, value, err, c.err)
			}
			continue
		}
		if err != nil || name != c.name || value != c.value {
			t.Errorf("ParseSysctl(%q) = %q, %q, %v; want %q, %q", c.in, name, value, err, c.name, c.value)
		}
	}
}

func FuzzParseSysctl(f *testing.F) {
	for _, s := range []string{"net.ipv4.ip_forward=1", "kernel.shmmax=1", "a/b=c", "vm.x=1", "net..=1"} {
		f.Add(s, false, false)
	}
	f.Fuzz(func(t *testing.T, s string, ipc, uts bool) {
		name, _, err := ParseSysctl(s, ipc, uts)
		if err != nil {
			return
		}
		// What passes must map to a path inside /proc/sys/net, fs/mqueue or kernel.
		for _, c := range strings.Split(name, ".") {
			if c == "" || c == ".." || strings.ContainsAny(c, "/\x00 ") {
				t.Fatalf("%q: accepted name %q has component %q", s, name, c)
			}
		}
		if !strings.HasPrefix(name, "net.") && !strings.HasPrefix(name, "fs.mqueue.") && !strings.HasPrefix(name, "kernel.") {
			t.Fatalf("%q: accepted %q", s, name)
		}
	})
}
