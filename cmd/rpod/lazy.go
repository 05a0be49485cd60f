package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// invoked is the command word rpod was run with, "" for none (rpod
// --help): the costly commands and the command groups are built in full
// only when it may name them (building). The tree is built anew by every
// command before it runs, and `run`'s flags are built four times in it.
var invoked string

// commandWord is the first argument that is not a global flag or its value.
func commandWord(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a
		}
		if a == "--" {
			return ""
		}
		if f := globalFlag(strings.TrimPrefix(a, "--")); f != nil && f.NoOptDefVal == "" && !strings.Contains(a, "=") {
			i++ // its value
		}
	}
	return ""
}

// building reports whether the command named name may run or be shown:
// help and completion may show any.
func building(name string) bool {
	switch invoked {
	case "", name, "help", "completion":
		return true
	}
	return strings.HasPrefix(invoked, "__complete")
}

// lazy is constructor c for a command called name, which gives a bare
// stand-in instead when another command runs.
func lazy(name string, c func() *cobra.Command) func() *cobra.Command {
	return func() *cobra.Command {
		if building(name) {
			return c()
		}
		return &cobra.Command{Use: name, RunE: func(*cobra.Command, []string) error { return nil }}
	}
}

// addLazy adds the subcommands cs to group, when the group may run.
func addLazy(group *cobra.Command, cs []func() *cobra.Command) {
	if !building(group.Name()) {
		return
	}
	for _, c := range cs {
		group.AddCommand(c())
	}
}
