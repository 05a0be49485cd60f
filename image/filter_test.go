package image

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseFilters(t *testing.T) {
	tr, fa := true, false
	for _, tc := range []struct {
		in      []string
		wantErr string
		check   func(*Filter) bool
	}{
		{in: nil, check: func(f *Filter) bool { return f.Dangling == nil && len(f.References) == 0 }},
		{in: []string{"dangling=true"}, check: func(f *Filter) bool { return f.Dangling != nil && *f.Dangling == tr }},
		{in: []string{"dangling=false"}, check: func(f *Filter) bool { return f.Dangling != nil && *f.Dangling == fa }},
		{in: []string{"dangling=1"}, check: func(f *Filter) bool { return *f.Dangling }},
		{in: []string{"dangling=maybe"}, wantErr: "true or false"},
		{in: []string{"reference=busy*", "reference=x/y:1"}, check: func(f *Filter) bool { return len(f.References) == 2 && f.References[1] == "x/y:1" }},
		{in: []string{"reference=[a"}, wantErr: "bad pattern"},
		{in: []string{"label=a"}, check: func(f *Filter) bool { return f.Labels[0] == LabelFilter{Key: "a"} }},
		{in: []string{"label=a=b=c"}, check: func(f *Filter) bool { return f.Labels[0] == LabelFilter{Key: "a", Value: "b=c", HasValue: true} }},
		{in: []string{"label=a="}, check: func(f *Filter) bool { return f.Labels[0] == LabelFilter{Key: "a", HasValue: true} }},
		{in: []string{"label!=a"}, check: func(f *Filter) bool { return f.Labels[0] == LabelFilter{Key: "a", Negate: true} }},
		{in: []string{"label==b"}, wantErr: "needs a key"},
		{in: []string{"dangling!=true"}, wantErr: "only label"},
		{in: []string{"before=busybox", "since=sha256:abc"}, check: func(f *Filter) bool { return f.Before[0] == "busybox" && f.Since[0] == "sha256:abc" }},
		{in: []string{"id=sha256:abcd"}, check: func(f *Filter) bool { return f.IDs[0] == "abcd" }},
		{in: []string{"containers=true", "readonly=false", "intermediate=true"}, check: func(f *Filter) bool { return *f.Containers && !*f.ReadOnly && *f.Intermediate }},
		{in: []string{"colour=red"}, wantErr: `unknown key "colour"`},
		{in: []string{"dangling"}, wantErr: "KEY=VALUE"},
		{in: []string{"=x"}, wantErr: "KEY=VALUE"},
		{in: []string{"before="}, wantErr: "needs a value"},
	} {
		f, err := ParseFilters(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !tc.check(f) {
			t.Errorf("%q parsed as %+v", tc.in, f)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	old := Summary{ID: "aaaa1111", Names: []string{"127.0.0.1:5000/busybox:latest"}, Created: t0}
	mid := Summary{ID: "bbbb2222", Names: []string{"quay.io/x/multi:v1", "localhost/multi:latest"}, Created: t0.Add(time.Hour), Labels: map[string]string{"rpod.test": "multilayer", "k": ""}, Containers: 1}
	none := Summary{ID: "cccc3333", Created: t0.Add(2 * time.Hour), Dangling: true}
	all := []Summary{old, mid, none}
	times := map[string]time.Time{"busybox": old.Created, "multi": mid.Created, "none": none.Created}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "aaaa1111 bbbb2222 cccc3333"},
		{[]string{"dangling=true"}, "cccc3333"},
		{[]string{"dangling=false"}, "aaaa1111 bbbb2222"},
		{[]string{"reference=busybox"}, "aaaa1111"},
		{[]string{"reference=busybox:latest"}, "aaaa1111"},
		{[]string{"reference=busy*"}, "aaaa1111"},
		{[]string{"reference=*:v1"}, "bbbb2222"},
		{[]string{"reference=127.0.0.1:5000/*"}, "aaaa1111"},
		{[]string{"reference=localhost/multi"}, "bbbb2222"},
		{[]string{"reference=usybox"}, ""},
		{[]string{"reference=busybox", "reference=multi"}, "aaaa1111 bbbb2222"},
		{[]string{"label=rpod.test"}, "bbbb2222"},
		{[]string{"label=rpod.test=multilayer"}, "bbbb2222"},
		{[]string{"label=rpod.test=other"}, ""},
		{[]string{"label=k="}, "bbbb2222"},
		{[]string{"label=rpod.test", "label=nope"}, ""},
		{[]string{"label!=rpod.test"}, "aaaa1111 cccc3333"},
		{[]string{"before=multi"}, "aaaa1111"},
		{[]string{"since=busybox"}, "bbbb2222 cccc3333"},
		{[]string{"since=busybox", "before=none"}, "bbbb2222"},
		{[]string{"id=bbbb"}, "bbbb2222"},
		{[]string{"containers=true"}, "bbbb2222"},
		{[]string{"containers=false", "dangling=false"}, "aaaa1111"},
	} {
		f, err := ParseFilters(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if err := f.Resolve(func(n string) (time.Time, error) {
			if tm, ok := times[n]; ok {
				return tm, nil
			}
			return time.Time{}, errors.New("not known")
		}); err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		var got []string
		for _, s := range all {
			if f.Match(s) {
				got = append(got, s.ID)
			}
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%q matched %q, want %q", tc.in, g, tc.want)
		}
	}
	f, _ := ParseFilters([]string{"since=nosuch"})
	if err := f.Resolve(func(string) (time.Time, error) { return time.Time{}, errors.New("not known") }); err == nil || !strings.Contains(err.Error(), "since=nosuch") {
		t.Errorf("unresolvable since: %v", err)
	}
}

func TestSplitName(t *testing.T) {
	for _, tc := range []struct{ in, repo, tag string }{
		{"docker.io/library/busybox:latest", "docker.io/library/busybox", "latest"},
		{"127.0.0.1:5000/busybox:1.2", "127.0.0.1:5000/busybox", "1.2"},
		{"127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox", "<none>"},
		{"quay.io/a/b@sha256:abcd", "quay.io/a/b", "<none>"},
	} {
		if r, tg := SplitName(tc.in); r != tc.repo || tg != tc.tag {
			t.Errorf("SplitName(%q) = %q, %q", tc.in, r, tg)
		}
	}
}

// FuzzParseFilters checks that any input parses or fails cleanly, and that a
// parsed filter can be resolved and matched without panicking.
func FuzzParseFilters(f *testing.F) {
	for _, s := range []string{"dangling=true", "reference=busy*", "label=a=b", "label!=a", "before=x", "since=y", "id=sha256:ab", "=", "a", "reference=[", "containers=0"} {
		f.Add(s, "label=x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		flt, err := ParseFilters([]string{a, b})
		if err != nil {
			if flt != nil {
				t.Fatalf("error %v with a filter", err)
			}
			return
		}
		if err := flt.Resolve(func(string) (time.Time, error) { return time.Unix(0, 0), nil }); err != nil {
			t.Fatal(err)
		}
		flt.Match(Summary{ID: a, Names: []string{b, a + ":" + b}, Labels: map[string]string{a: b}})
		for _, l := range flt.Labels {
			if l.Key == "" {
				t.Fatalf("label filter without key from %q %q", a, b)
			}
		}
	})
}
