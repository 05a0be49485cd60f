package main

import (
	"reflect"
	"testing"

	"github.com/spf13/pflag"
)

func TestCommandWord(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"run", "--rm", "busybox"}, "run"},
		{[]string{"--root", "/x", "container", "ls"}, "container"},
		{[]string{"--root=/x", "ps"}, "ps"},
		{[]string{"--storage-opt", "a=b", "--log-level", "debug", "images"}, "images"},
		{[]string{"--help"}, ""},
		{[]string{"--", "run"}, ""},
		{[]string{"--root"}, ""},
	} {
		if got := commandWord(tc.args); got != tc.want {
			t.Errorf("commandWord(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func FuzzCommandWord(f *testing.F) {
	f.Add("--root\x00/x\x00run")
	f.Fuzz(func(t *testing.T, s string) {
		args := splitNUL(s)
		w := commandWord(args)
		if w != "" && (w[0] == '-' || !contains(args, w)) {
			t.Fatalf("commandWord(%q) = %q: not one of the non-flag arguments", args, w)
		}
	})
}

func splitNUL(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestStringsFlags(t *testing.T) {
	for _, tc := range []struct {
		slice bool
		args  []string
		want  []string
	}{
		{false, nil, nil},
		{false, []string{"--f", "a,b", "--f", "c"}, []string{"a,b", "c"}},
		{true, []string{"--f", "a,b", "--f", "c"}, []string{"a", "b", "c"}},
		{true, []string{"--f", `"x,y",z`}, []string{"x,y", "z"}},
		{true, []string{"--f", ""}, []string{}},
	} {
		var got []string
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		if tc.slice {
			stringSliceVar(fs, &got, "f", "", "")
		} else {
			stringArrayVar(fs, &got, "f", "", "")
		}
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("slice=%v %q: got %q, want %q", tc.slice, tc.args, got, tc.want)
		}
	}
}

func TestLazyTreeBuildsOnlyTheInvokedCommand(t *testing.T) {
	defer func(old string) { invoked = old }(invoked)
	invoked = "ps"
	root := newRootCmd()
	for _, name := range []string{"run", "create"} {
		c, _, err := root.Find([]string{name})
		if err != nil || c.Name() != name || c.Flags().Lookup("env") != nil {
			t.Errorf("with ps invoked, %s was built in full", name)
		}
	}
	if c, _, _ := root.Find([]string{"container", "create"}); c.Name() == "create" {
		t.Errorf("with ps invoked, the container group was built")
	}
	invoked = "run"
	if c, _, _ := newRootCmd().Find([]string{"run"}); c.Flags().Lookup("env") == nil {
		t.Errorf("run invoked, but its flags are missing")
	}
}
