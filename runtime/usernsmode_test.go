package runtime

import (
	"reflect"
	"strings"
	"testing"

	"go.podman.io/storage/pkg/idtools"
)

func u32(v uint32) *uint32 { return &v }

func TestParseUserNS(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    UserNS
		wantErr string
	}{
		{"", UserNS{}, ""},
		{"host", UserNS{Mode: "host"}, ""},
		{"keep-id", UserNS{Mode: "keep-id"}, ""},
		{"keep-id:uid=1000,gid=1000", UserNS{Mode: "keep-id", UID: u32(1000), GID: u32(1000)}, ""},
		{"keep-id:uid=0", UserNS{Mode: "keep-id", UID: u32(0)}, ""},
		{"keep-id:gid=5", UserNS{Mode: "keep-id", GID: u32(5)}, ""},
		{"nomap", UserNS{Mode: "nomap"}, ""},
		{"auto", UserNS{}, "auto is not supported"},
		{"auto:size=100", UserNS{}, "auto is not supported"},
		{"private", UserNS{}, "private is not supported"},
		{"ns:/proc/1/ns/user", UserNS{}, "ns is not supported"},
		{"container:abc", UserNS{}, "container is not supported"},
		{"bogus", UserNS{}, "unknown mode"},
		{"Host", UserNS{}, "unknown mode"},
		{"host:x", UserNS{}, "host takes no options"},
		{"nomap:uid=1", UserNS{}, "nomap takes no options"},
		{"keep-id:", UserNS{}, "unknown keep-id option"},
		{"keep-id:uid=x", UserNS{}, "uid must be a number"},
		{"keep-id:uid=-1", UserNS{}, "uid must be a number"},
		{"keep-id:uid=4294967295", UserNS{}, "uid must be a number"},
		{"keep-id:uid=4294967296", UserNS{}, "uid must be a number"},
		{"keep-id:gid=", UserNS{}, "gid must be a number"},
		{"keep-id:size=10", UserNS{}, "unknown keep-id option"},
		{"keep-id:uid=1,uid=2", UserNS{}, "uid given twice"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseUserNS(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), "rpod takes host, keep-id[:uid=UID,gid=GID] or nomap") {
					t.Errorf("error does not list the modes: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if tc.in != "" && got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func FuzzParseUserNS(f *testing.F) {
	for _, s := range []string{"", "host", "keep-id", "keep-id:uid=1,gid=2", "nomap", "auto", "keep-id:uid=x", "keep-id:,", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseUserNS(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error for %q: %v", s, err)
			}
			return
		}
		// What parses, round-trips.
		again, err := ParseUserNS(n.String())
		if err != nil || !reflect.DeepEqual(again.nested(), n.nested()) || again.String() != n.String() {
			t.Errorf("%q -> %q does not round-trip: %+v %v", s, n.String(), again, err)
		}
		if n.UID != nil && *n.UID == ^uint32(0) {
			t.Errorf("%q: keep-id uid 2^32-1 accepted", s)
		}
	})
}

func TestNestedMap(t *testing.T) {
	m := func(c, h, s int) idtools.IDMap { return idtools.IDMap{ContainerID: c, HostID: h, Size: s} }
	for _, tc := range []struct {
		name      string
		mode      string
		id, count uint32
		want      []idtools.IDMap
	}{
		{"keep-id user", "keep-id", 1001, 65537, []idtools.IDMap{m(0, 1, 1001), m(1001, 0, 1), m(1002, 1002, 64535)}},
		{"keep-id 1000", "keep-id", 1000, 65537, []idtools.IDMap{m(0, 1, 1000), m(1000, 0, 1), m(1001, 1001, 64536)}},
		{"keep-id 0", "keep-id", 0, 65537, []idtools.IDMap{m(0, 0, 1), m(1, 1, 65536)}},
		{"keep-id above range", "keep-id", 100000, 65537, []idtools.IDMap{m(0, 1, 65536), m(100000, 0, 1)}},
		{"keep-id single id", "keep-id", 1001, 1, []idtools.IDMap{m(1001, 0, 1)}},
		{"nomap", "nomap", 0, 65537, []idtools.IDMap{m(0, 1, 65536)}},
		{"nomap single id", "nomap", 0, 1, nil},
		{"host", "host", 0, 65537, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nestedMap(tc.mode, tc.id, tc.count)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			// Every id of rpod's namespace is used at most once.
			seen := map[int]bool{}
			for _, x := range got {
				for i := 0; i < x.Size; i++ {
					if seen[x.HostID+i] || x.HostID+i >= int(tc.count) {
						t.Fatalf("host id %d mapped twice or out of range in %v", x.HostID+i, got)
					}
					seen[x.HostID+i] = true
				}
			}
		})
	}
}

func TestRootlessRange(t *testing.T) {
	for _, tc := range []struct {
		in           string
		owner, count uint32
		ok           bool
	}{
		{"0 1001 1\n1 100000 65536\n", 1001, 65537, true},
		{"1 100000 65536\n0 1001 1\n", 1001, 65537, true},
		{"0 1001 1\n", 1001, 1, true},
		{"0 0 4294967295\n", 0, 0, false},
		{"1 100000 10\n", 0, 0, false},
		{"0 1001 1\n5 100000 10\n", 1001, 1, true},
	} {
		maps, err := parseProcMap(strings.NewReader(tc.in))
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		owner, count, ok := rootlessRange(maps)
		if owner != tc.owner || count != tc.count || ok != tc.ok {
			t.Errorf("%q: got %d %d %v, want %d %d %v", tc.in, owner, count, ok, tc.owner, tc.count, tc.ok)
		}
	}
	if _, err := parseProcMap(strings.NewReader("0 x 1\n")); err == nil {
		t.Errorf("malformed map accepted")
	}
}

func TestHostIDs(t *testing.T) {
	n := UserNS{Mode: "keep-id", UIDMap: nestedMap("keep-id", 1001, 65537), GIDMap: nestedMap("keep-id", 1001, 65537)}
	for _, tc := range []struct {
		uid, gid uint32
		hu, hg   int
		ok       bool
	}{{0, 0, 1, 1, true}, {1001, 1001, 0, 0, true}, {1000, 5, 1001, 6, true}, {1002, 1002, 1002, 1002, true}, {70000, 0, 0, 1, false}} {
		hu, hg, ok := n.HostIDs(tc.uid, tc.gid)
		if hu != tc.hu || hg != tc.hg || ok != tc.ok {
			t.Errorf("HostIDs(%d, %d) = %d %d %v, want %d %d %v", tc.uid, tc.gid, hu, hg, ok, tc.hu, tc.hg, tc.ok)
		}
	}
	if hu, hg, ok := (UserNS{}).HostIDs(7, 8); hu != 7 || hg != 8 || !ok {
		t.Errorf("host mode is not the identity: %d %d %v", hu, hg, ok)
	}
}
