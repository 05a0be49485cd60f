package runtime

import (
	"reflect"
	"strings"
	"testing"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
# a comment
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
broken line
bad:x:notanumber:1:::
`

const testGroup = `root:x:0:
tty:x:5:app
nogroup:x:65534:
app:x:1000:
wheel:x:10:app,other
`

func TestResolveUser(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		want    ExecUser
		wantErr string
	}{
		{"", ExecUser{UID: 0, GID: 0, Home: "/root"}, ""},
		{"root", ExecUser{UID: 0, GID: 0, Home: "/root"}, ""},
		{"0", ExecUser{UID: 0, GID: 0, Home: "/root"}, ""},
		{"app", ExecUser{UID: 1000, GID: 1000, Groups: []uint32{5, 10}, Home: "/home/app"}, ""},
		{"1000", ExecUser{UID: 1000, GID: 1000, Groups: []uint32{5, 10}, Home: "/home/app"}, ""},
		{"nobody", ExecUser{UID: 65534, GID: 65534, Home: "/nonexistent"}, ""},
		// A uid with no passwd entry is fine, as with podman: its gid is the uid.
		{"4242", ExecUser{UID: 4242, GID: 4242, Home: "/"}, ""},
		{"4242:7", ExecUser{UID: 4242, GID: 7, Home: "/"}, ""},
		{"app:tty", ExecUser{UID: 1000, GID: 5, Groups: []uint32{10}, Home: "/home/app"}, ""},
		{"0:nogroup", ExecUser{UID: 0, GID: 65534, Home: "/root"}, ""},
		{"ghost", ExecUser{}, "unable to find user ghost"},
		{"app:ghosts", ExecUser{}, "unable to find group ghosts"},
		{"bad", ExecUser{}, "unable to find user bad"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ResolveUser(tc.spec, strings.NewReader(testPasswd), strings.NewReader(testGroup))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestResolveUserWithoutDatabases(t *testing.T) {
	got, err := ResolveUser("", nil, nil)
	if err != nil || got.UID != 0 || got.Home != "/" {
		t.Errorf("root without /etc/passwd: %+v %v", got, err)
	}
	if _, err := ResolveUser("app", nil, nil); err == nil {
		t.Errorf("a user name without /etc/passwd resolved")
	}
}

func FuzzResolveUser(f *testing.F) {
	f.Add("app:tty", testPasswd, testGroup)
	f.Add("1000", "a:b:c", "::::")
	f.Add(":", "", "")
	f.Fuzz(func(t *testing.T, spec, passwd, group string) {
		u, err := ResolveUser(spec, strings.NewReader(passwd), strings.NewReader(group))
		if err == nil && u.Home == "" {
			t.Errorf("resolved %q with an empty home", spec)
		}
	})
}
