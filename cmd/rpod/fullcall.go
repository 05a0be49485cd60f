package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/internal/fullrpod"
)

func init() {
	register(newFullCallCmd)
	image.FullArgs = fullGlobalArgs
}

// newFullCallCmd is the transfer call a light rpod has its full rpod make
// (image.FullCall, in the environment); it answers with an
// image.FullResult on standard output.
func newFullCallCmd() *cobra.Command {
	return &cobra.Command{
		Use:    image.FullCallCommand,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			unix.CloseOnExec(3) // this program's memfd: none of our children's business
			var call image.FullCall
			if err := json.Unmarshal([]byte(os.Getenv(image.FullCallEnv)), &call); err != nil {
				return fmt.Errorf("%s: %w", image.FullCallEnv, err)
			}
			os.Unsetenv(image.FullCallEnv)
			var r image.FullResult
			if store, err := openStore(); err != nil {
				r.Err = err.Error()
			} else {
				r = image.ServeFullCall(cmd.Context(), store, call)
			}
			return json.NewEncoder(os.Stdout).Encode(r)
		},
	}
}

// fullGlobalArgs are this command's global flags, for the full rpod a light
// one runs for a transfer call: the same store.
func fullGlobalArgs() []string {
	var a []string
	for _, f := range []struct{ name, v string }{{"--root", g.root}, {"--runroot", g.runroot}, {"--storage-driver", g.driver}, {"--log-level", g.logLevel}} {
		if f.v != "" {
			a = append(a, f.name, f.v)
		}
	}
	for _, o := range g.storageOpts {
		a = append(a, "--storage-opt", o)
	}
	return a
}

// fullCommand reports whether args run a command a light rpod leaves to
// the full one whole: those that only transfer images, some of which read
// standard input or act on a container before their transfer call.
func fullCommand(args []string) bool {
	words := commandWords(args, 2)
	if len(words) == 0 {
		return false
	}
	switch words[0] {
	case "push", "save", "load", "import", "commit", "login", "logout":
		return true
	case "image":
		return len(words) > 1 && slices.Contains([]string{"push", "save", "load", "import"}, words[1])
	case "container":
		return len(words) > 1 && words[1] == "commit"
	}
	return false
}

// commandWords are the first n arguments that are not flags, after the
// global flags and their values.
func commandWords(args []string, n int) []string {
	first := commandWord(args)
	if first == "" {
		return nil
	}
	words := []string{first}
	i := 0
	for args[i] != first {
		i++
	}
	for _, a := range args[i+1:] {
		if len(words) == n {
			break
		}
		if !strings.HasPrefix(a, "-") {
			words = append(words, a)
		}
	}
	return words
}

// execFull runs this command in the full rpod, when this is a light one
// and the command needs it: before it runs (err nil), one of fullCommand's;
// after, one that met a transfer call the light build lacks. It returns
// only if it could not.
func execFull(args []string, err error) error {
	if !fullrpod.Light {
		return nil
	}
	if before := err == nil; before && !fullCommand(args) || !before && !errors.Is(err, image.ErrFullOnly) {
		return nil
	}
	// In the namespace first, unless only help is asked for: the full rpod
	// runs from memory, where it could not re-execute itself into it.
	if !slices.Contains(args, "--help") && !slices.Contains(args, "-h") {
		if err := enter(); err != nil {
			return err
		}
	}
	return fullrpod.Exec()
}
