package runtime

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rpod/rpod/runtime/step"
)

// The init step (runtime/step, in C) resolves a command's user and its
// volumes' targets as ResolveUser and ResolveIn do, which rpod uses
// elsewhere (rpod volume, rpod top): these tests hold the two together.

func ptr(s string) *string { return &s }

func TestStepResolveUserIsResolveUser(t *testing.T) {
	for _, spec := range []string{"", "root", "0", "app", "1000", "nobody", "4242", "4242:7", "app:tty", "0:nogroup", "ghost", "app:ghosts", "bad", ":", "app:", ":5", "4294967296", "#", "007"} {
		for _, db := range [][2]*string{{ptr(testPasswd), ptr(testGroup)}, {nil, nil}, {ptr(""), nil}, {ptr("app:x:1:2:h\r\nbad:x:1:1:::\n"), ptr("g:x:9:app,app\n")}} {
			checkStepUser(t, spec, db[0], db[1])
		}
	}
}

func checkStepUser(t *testing.T, spec string, passwd, group *string) {
	t.Helper()
	reader := func(s *string) *strings.Reader {
		if s == nil {
			return nil
		}
		return strings.NewReader(*s)
	}
	var want ExecUser
	var werr error
	// A nil *strings.Reader in an io.Reader is not a nil io.Reader.
	switch p, g := reader(passwd), reader(group); {
	case p == nil && g == nil:
		want, werr = ResolveUser(spec, nil, nil)
	case p == nil:
		want, werr = ResolveUser(spec, nil, g)
	case g == nil:
		want, werr = ResolveUser(spec, p, nil)
	default:
		want, werr = ResolveUser(spec, p, g)
	}
	got, err := step.ResolveUser(spec, passwd, group, nil)
	if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
		t.Fatalf("%q: the step says %v, ResolveUser %v", spec, err, werr)
	}
	if err != nil {
		return
	}
	if g := (ExecUser{UID: got.UID, GID: got.GID, Groups: got.Groups, Home: got.Home}); !reflect.DeepEqual(g, want) {
		t.Errorf("%q: the step resolves %+v, ResolveUser %+v", spec, g, want)
	}
}

func FuzzStepResolveUser(f *testing.F) {
	f.Add("app:tty", testPasswd, testGroup)
	f.Add("1000", "a:b:c", "::::")
	f.Add(":", "", "")
	f.Fuzz(func(t *testing.T, spec, passwd, group string) {
		if strings.ContainsRune(spec+passwd+group, 0) || len(spec) > 512 || len(passwd) > 60000 || len(group) > 60000 {
			return // C strings; the step's messages are cut at 1 KiB; bufio.Scanner's 64 KiB lines
		}
		checkStepUser(t, spec, &passwd, &group)
	})
}

// --group-add: names from the container's group file, numbers as they are.
func TestStepGroupAdd(t *testing.T) {
	for _, tc := range []struct {
		add     []string
		want    []uint32
		wantErr string
	}{
		{nil, nil, ""},
		{[]string{"tty"}, []uint32{5}, ""},
		{[]string{"wheel", "1234", "0", "1234"}, []uint32{10, 1234, 0}, ""},
		{[]string{"4294967295"}, []uint32{4294967295}, ""},
		{[]string{"nosuch"}, nil, "unable to find group nosuch: no matching entries in group file of the container (--group-add)"},
	} {
		u, err := step.ResolveUser("4242", ptr(testPasswd), ptr(testGroup), tc.add)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%v: err = %v, want %q", tc.add, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(u.Groups, tc.want) {
			t.Errorf("%v: groups %v, %v; want %v", tc.add, u.Groups, err, tc.want)
		}
	}
	if _, err := step.ResolveUser("0", nil, nil, []string{"tty"}); err == nil {
		t.Errorf("a group name without /etc/group resolved")
	}
}

func TestStepResolveInIsResolveIn(t *testing.T) {
	root := t.TempDir()
	for _, l := range [][2]string{
		{"abs", "/etc"}, {"rel", "etc/sub"}, {"up", "../../.."}, {"loop", "loop"}, {"etc/back", "../rel"},
		{"dots", "./etc/../etc"}, {"dangling", "/no/such"},
	} {
		os.MkdirAll(filepath.Join(root, "etc/sub"), 0o755)
		if err := os.Symlink(l[1], filepath.Join(root, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/", "", "etc", "/etc/sub/x", "abs/sub", "rel", "rel/x", "up", "up/x", "loop", "etc/back/y",
		"dots/sub", "dangling/z", "../../etc", "a/../../b", "/new/dir", "etc//sub/./"} {
		want, werr := ResolveIn(root, p)
		got, err := step.ResolveIn(root, p)
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error() && !strings.HasSuffix(werr.Error(), "levels of symbolic links")) {
			t.Errorf("%q: the step says %q %v, ResolveIn %q %v", p, got, err, want, werr)
			continue
		}
		if got != want {
			t.Errorf("%q: the step resolves %q, ResolveIn %q", p, got, want)
		}
	}
}

func FuzzStepCleanPath(f *testing.F) {
	for _, p := range []string{"", "/", "a/../..", "//a/./b/", "../a/..", "/../x", ".", "a/b/../../.."} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if strings.ContainsRune(p, 0) {
			return
		}
		if got, want := step.CleanPath(p), filepath.Clean(p); got != want {
			t.Errorf("%q: the step cleans to %q, filepath.Clean to %q", p, got, want)
		}
	})
}
