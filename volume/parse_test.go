package volume

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseVolume(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		want    Spec
		wantErr string
	}{
		{arg: "/host:/ctr", want: Spec{Type: "bind", Source: "/host", Destination: "/ctr"}},
		{arg: "./rel:/ctr:ro", want: Spec{Type: "bind", Source: "./rel", Destination: "/ctr", ReadOnly: true}},
		{arg: "data:/ctr:rw,z", want: Spec{Type: "volume", Source: "data", Destination: "/ctr"}},
		{arg: "data:/ctr:Z,U", want: Spec{Type: "volume", Source: "data", Destination: "/ctr", Chown: true}},
		{arg: "/ctr", want: Spec{Type: "volume", Destination: "/ctr"}},
		{arg: "/h:/c:nosuid,noexec", want: Spec{Type: "bind", Source: "/h", Destination: "/c", Flags: []string{"nosuid", "noexec"}}},
		{arg: "/h:rel", wantErr: "must be an absolute path"},
		{arg: "rel", wantErr: "must be an absolute path"},
		{arg: ":/c", wantErr: "source is empty"},
		{arg: "/h:", wantErr: "no destination"},
		{arg: "/h:/c:ro,rw", wantErr: "more than once"},
		{arg: "/h:/c:bogus", wantErr: `invalid option "bogus"`},
		{arg: "/h:/c:ro,", wantErr: "empty option"},
		{arg: "a:b:c:d", wantErr: "SRC:DST"},
		{arg: "bad name:/c", wantErr: "invalid volume name"},
		{arg: "-x:/c", wantErr: "invalid volume name"},
	} {
		got, err := ParseVolume(tc.arg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseVolume(%q) err = %v, want %q", tc.arg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
}

func TestParseMount(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		want    Spec
		wantErr string
	}{
		{arg: "type=bind,source=/h,destination=/c", want: Spec{Type: "bind", Source: "/h", Destination: "/c"}},
		{arg: "type=bind,src=/h,target=/c,ro", want: Spec{Type: "bind", Source: "/h", Destination: "/c", ReadOnly: true}},
		{arg: "type=bind,src=rel,dst=/c,readonly=true", want: Spec{Type: "bind", Source: "./rel", Destination: "/c", ReadOnly: true}},
		{arg: "type=bind,src=/h,dst=/c,readonly=false", want: Spec{Type: "bind", Source: "/h", Destination: "/c"}},
		{arg: "type=volume,source=v1,target=/c", want: Spec{Type: "volume", Source: "v1", Destination: "/c"}},
		{arg: "type=volume,target=/c", want: Spec{Type: "volume", Destination: "/c"}},
		{arg: "type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1777", want: Spec{Type: "tmpfs", Destination: "/t", Flags: []string{"nosuid", "nodev"}, Data: "size=64m,mode=1777"}},
		{arg: "type=bind,dst=/c", wantErr: "needs source"},
		{arg: "type=tmpfs,src=/x,dst=/c", wantErr: "has no source"},
		{arg: "type=bind,src=/h,dst=/c,tmpfs-size=1m", wantErr: "are for type=tmpfs"},
		{arg: "type=tmpfs,dst=/c,tmpfs-mode=999", wantErr: "invalid tmpfs mode"},
		{arg: "type=tmpfs,dst=/c,tmpfs-size=lots", wantErr: "invalid tmpfs-size"},
		{arg: "src=/h,dst=/c", wantErr: "type= is required"},
		{arg: "type=nfs,dst=/c", wantErr: "invalid mount type"},
		{arg: "type=bind,src=/h,dst=rel", wantErr: "must be an absolute path"},
		{arg: "type=bind,src=/h,dst=/c,ro=maybe", wantErr: "invalid value"},
		{arg: "type=bind,src=/h,dst=/c,color=red", wantErr: `invalid option "color"`},
		{arg: "type=volume,src=/abs,dst=/c", wantErr: "invalid volume name"},
		{arg: "type=bind,,dst=/c", wantErr: "empty option"},
	} {
		got, err := ParseMount(tc.arg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMount(%q) err = %v, want %q", tc.arg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMount(%q) = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
}

func TestParseTmpfs(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		want    Spec
		wantErr string
	}{
		{arg: "/t", want: Spec{Type: "tmpfs", Destination: "/t", Flags: []string{"nosuid", "nodev", "noexec"}}},
		{arg: "/t:ro,size=1m,mode=700", want: Spec{Type: "tmpfs", Destination: "/t", ReadOnly: true, Flags: []string{"nosuid", "nodev", "noexec"}, Data: "size=1m,mode=700"}},
		{arg: "/t:exec,dev", want: Spec{Type: "tmpfs", Destination: "/t", Flags: []string{"nosuid"}}},
		{arg: "/t:uid=1000,gid=1000", want: Spec{Type: "tmpfs", Destination: "/t", Flags: []string{"nosuid", "nodev", "noexec"}, Data: "uid=1000,gid=1000"}},
		{arg: "t", wantErr: "must be an absolute path"},
		{arg: "/t:size=big", wantErr: "invalid tmpfs size"},
		{arg: "/t:mode=rwx", wantErr: "invalid tmpfs mode"},
		{arg: "/t:uid=me", wantErr: "invalid uid"},
		{arg: "/t:what", wantErr: "invalid option"},
	} {
		got, err := ParseTmpfs(tc.arg)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTmpfs(%q) err = %v, want %q", tc.arg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseTmpfs(%q) = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
}

// checkSpec holds for every spec a parser accepts.
func checkSpec(t *testing.T, arg string, s Spec) {
	if !strings.HasPrefix(s.Destination, "/") {
		t.Fatalf("%q: accepted a relative destination %q", arg, s.Destination)
	}
	switch s.Type {
	case "bind":
		if s.Source == "" {
			t.Fatalf("%q: bind without a source", arg)
		}
	case "volume":
		if s.Source != "" && !ValidName(s.Source) {
			t.Fatalf("%q: invalid volume name %q accepted", arg, s.Source)
		}
	case "tmpfs":
		if s.Source != "" {
			t.Fatalf("%q: bad tmpfs %+v", arg, s)
		}
	default:
		t.Fatalf("%q: type %q", arg, s.Type)
	}
}

func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/h:/c:ro,U", "v:/c", "/c", "a:b:c:d", "./x:/y:Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if s, err := ParseVolume(arg); err == nil {
			checkSpec(t, arg, s)
		}
	})
}

func FuzzParseMount(f *testing.F) {
	for _, s := range []string{"type=bind,src=/h,dst=/c,ro", "type=tmpfs,dst=/t,tmpfs-size=1m", "type=volume,source=v,target=/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if s, err := ParseMount(arg); err == nil {
			checkSpec(t, arg, s)
		}
	})
}

func FuzzParseTmpfs(f *testing.F) {
	for _, s := range []string{"/t", "/t:ro,size=1m,mode=1777", "/t:exec"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if s, err := ParseTmpfs(arg); err == nil {
			checkSpec(t, arg, s)
			if strings.Contains(s.Data, ",,") {
				t.Fatalf("%q: data %q", arg, s.Data)
			}
		}
	})
}
