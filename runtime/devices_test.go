package runtime

import (
	"strings"
	"testing"
)

func TestParseDevice(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Device
		err  string
	}{
		{in: "/dev/fuse", want: Device{Source: "/dev/fuse", Destination: "/dev/fuse", Permissions: "rwm"}},
		{in: "/dev/null:/dev/mynull", want: Device{Source: "/dev/null", Destination: "/dev/mynull", Permissions: "rwm"}},
		{in: "/dev/null:r", want: Device{Source: "/dev/null", Destination: "/dev/null", Permissions: "r"}},
		{in: "/dev/sda:/dev/xvda:rw", want: Device{Source: "/dev/sda", Destination: "/dev/xvda", Permissions: "rw"}},
		{in: "/dev//null/:/dev/x/", want: Device{Source: "/dev/null", Destination: "/dev/x", Permissions: "rwm"}},
		{in: "/dev/null:/dev/x:rx", err: "not a set of permissions"},
		{in: "/dev/null:/dev/x:rr", err: "not a set of permissions"},
		{in: "/dev/null:/dev/x:", err: "not a set of permissions"},
		{in: "/dev/null:mynull", err: "neither an absolute container path"},
		{in: "/dev/null:", err: "neither an absolute container path"},
		{in: "/dev/null:x:rw", err: "must be absolute"},
		{in: "null", err: "host path \"null\" must be absolute"},
		{in: "", err: "must be absolute"},
		{in: "/dev/null:/:rw", err: "cannot be /"},
		{in: "/a:/b:rw:x", err: "use HOST[:CONTAINER][:PERMISSIONS]"},
	} {
		got, err := ParseDevice(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseDevice(%q) = %+v, %v; want error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseDevice(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestResolveDevice(t *testing.T) {
	if ds, err := ResolveDevice(Device{Source: "/dev/null", Destination: "/dev/n", Permissions: "rwm"}); err != nil || len(ds) != 1 {
		t.Errorf("/dev/null: %v %v", ds, err)
	}
	if _, err := ResolveDevice(Device{Source: "/dev/rpod-none", Destination: "/dev/x"}); err == nil || !strings.Contains(err.Error(), "/dev/rpod-none: no such device") {
		t.Errorf("missing device: %v", err)
	}
	if _, err := ResolveDevice(Device{Source: "/etc/hostname", Destination: "/dev/x"}); err == nil || !strings.Contains(err.Error(), "not a device node") {
		t.Errorf("regular file: %v", err)
	}
}

func FuzzParseDevice(f *testing.F) {
	for _, s := range []string{"/dev/null", "/dev/a:/dev/b:rw", "/dev/a:m", "a:b:c:d", "/x::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDevice(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(d.Source, "/") || !strings.HasPrefix(d.Destination, "/") || d.Destination == "/" || !validPerms(d.Permissions) {
			t.Fatalf("%q: accepted %+v", s, d)
		}
	})
}

func TestParseNamespaceMode(t *testing.T) {
	for _, c := range []struct {
		in   string
		host bool
		err  string
	}{
		{"", false, ""}, {"private", false, ""}, {"host", true, ""},
		{"container:db", false, "not supported"}, {"ns:/proc/1/ns/pid", false, "not supported"},
		{"Host", false, "use host or private"}, {"bogus", false, "use host or private"},
	} {
		host, err := ParseNamespaceMode("pid", c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "--pid") {
				t.Errorf("%q: %v, want error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || host != c.host {
			t.Errorf("%q: %v %v, want %v", c.in, host, err, c.host)
		}
	}
}

func TestNamespaceFlags(t *testing.T) {
	if namespaceFlags(&Spec{}) != cloneFlags {
		t.Errorf("private: not cloneFlags")
	}
	got := namespaceFlags(&Spec{HostPID: true, HostIPC: true, HostUTS: true})
	if got&(1<<29|1<<27|1<<26) != 0 || got&(1<<17) == 0 { // NEWPID, NEWIPC, NEWUTS dropped; NEWNS kept
		t.Errorf("host: flags %#x", got)
	}
}
