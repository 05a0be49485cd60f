package main

import (
	"strings"
	"testing"
)

func TestFullCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"push", "x"}, true},
		{[]string{"--root", "/r", "load", "-i", "f"}, true},
		{[]string{"--root=/r", "login", "reg"}, true},
		{[]string{"image", "save", "x"}, true},
		{[]string{"image", "--help"}, false},
		{[]string{"image", "pull", "x"}, false},
		{[]string{"image", "ls"}, false},
		{[]string{"container", "commit", "c"}, true},
		{[]string{"container", "ls"}, false},
		{[]string{"pull", "x"}, false},
		{[]string{"run", "--rm", "busybox", "commit"}, false},
		{[]string{"--root", "push", "run", "x"}, false}, // push is --root's value
		{nil, false},
	} {
		if got := fullCommand(tc.args); got != tc.want {
			t.Errorf("fullCommand(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// Whatever the command line, fullCommand decides without panicking, and
// only for a command whose first word it names.
func FuzzFullCommand(f *testing.F) {
	f.Add("--root\x00/r\x00image\x00push\x00x")
	f.Add("container\x00commit")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		if fullCommand(args) {
			switch commandWord(args) {
			case "push", "save", "load", "import", "commit", "login", "logout", "image", "container":
			default:
				t.Fatalf("fullCommand(%q) for command %q", args, commandWord(args))
			}
		}
	})
}
