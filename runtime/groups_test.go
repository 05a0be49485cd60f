package runtime

import (
	"reflect"
	"strings"
	"testing"
)

func TestResolveGroups(t *testing.T) {
	for _, tc := range []struct {
		add     []string
		want    []uint32
		wantErr string
	}{
		{nil, nil, ""},
		{[]string{"tty"}, []uint32{5}, ""},
		{[]string{"wheel", "1234", "0"}, []uint32{10, 1234, 0}, ""},
		{[]string{"4294967295"}, []uint32{4294967295}, ""},
		{[]string{"nosuch"}, nil, "unable to find group nosuch"},
		{[]string{"keep-groups"}, nil, "not supported"},
		{[]string{""}, nil, "invalid --group-add"},
		{[]string{"a:b"}, nil, "invalid --group-add"},
		{[]string{" tty"}, nil, "invalid --group-add"},
		{[]string{"4294967296"}, nil, "out of range"},
	} {
		t.Run(strings.Join(tc.add, ","), func(t *testing.T) {
			got, err := resolveGroups(tc.add, strings.NewReader(testGroup))
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
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := resolveGroups([]string{"tty"}, nil); err == nil {
		t.Errorf("a group name without /etc/group resolved")
	}
}

func FuzzResolveGroups(f *testing.F) {
	f.Add("tty", testGroup)
	f.Add("1234", "")
	f.Add("keep-groups", "x:y:z")
	f.Fuzz(func(t *testing.T, g, group string) {
		gids, err := resolveGroups([]string{g}, strings.NewReader(group))
		if err == nil && len(gids) != 1 {
			t.Errorf("%q resolved to %v", g, gids)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error: %v", err)
		}
		if CheckGroupAdd(g) != nil && err == nil {
			t.Errorf("%q is refused at create but resolves at start", g)
		}
	})
}
