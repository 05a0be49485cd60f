// Command rpod runs containers rootless, in the style of podman.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/reexec"

	"github.com/rpod/rpod/image"
	_ "github.com/rpod/rpod/internal/prefault"
	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/storage"
	"github.com/rpod/rpod/userns"
)

// Version is set at build time.
var Version = "0.1.0-dev"

// exitError makes a command end with a given exit code and, when msg is
// not empty, an "Error: msg" line.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// globals are the flags every command accepts.
type globals struct {
	root, runroot, driver string
	storageOpts           []string
	logLevel              string
	store                 cstorage.Store
	opts                  storage.Options
}

var g globals

func main() {
	// A container's init step and rpod exec's step never come here: they
	// run in C before the Go runtime starts (runtime/step).
	// containers/storage re-executes rpod to unpack layers in a chroot.
	if reexec.Init() {
		return
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if err := execFull(args, nil); err != nil { // fullcall.go
		return exitStatus(err)
	}
	startupGC()      // gc.go
	quietLibraries() // logging.go
	cobra.OnInitialize(libraryLogging)
	invoked = commandWord(args) // lazy.go
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if g.store != nil {
		storage.Close(g.store)
	}
	if ferr := execFull(args, err); ferr != nil {
		err = ferr
	}
	return exitStatus(err)
}

// exitStatus prints err's "Error:" line, if it has one, and returns the
// command's exit code.
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(os.Stderr, "Error: %s\n", ee.msg)
		}
		return ee.code
	}
	var re *runtime.ExitError
	if errors.As(err, &re) {
		fmt.Fprintf(os.Stderr, "Error: %s\n", re.Msg)
		return re.Code
	}
	msg := strings.TrimSpace(strings.SplitN(err.Error(), "\n", 2)[0])
	switch {
	case strings.HasPrefix(msg, "unknown command"):
		msg += ": see rpod --help"
	case errors.Is(err, syscall.ENOSPC) || strings.Contains(msg, "no space left on device"):
		// Any command that writes the store can fill it; say where it is.
		msg += fmt.Sprintf(": free space on the store's filesystem (%s) or move the store (--root, or graphroot in storage.conf)", g.opts.GraphRoot)
	}
	fmt.Fprintf(os.Stderr, "Error: %s\n", msg)
	return runtime.ExitRpodError
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "rpod",
		Short:         "Run containers as an ordinary user, podman style",
		Version:       Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	addGlobalFlags(root.PersistentFlags(), &g)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: runtime.ExitRpodError, msg: fmt.Sprintf("%v: see rpod %s --help", err, strings.TrimPrefix(c.CommandPath(), "rpod "))}
	})
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}

// addGlobalFlags defines the flags every command accepts on fs, bound to gl.
func addGlobalFlags(fs *pflag.FlagSet, gl *globals) {
	fs.StringVar(&gl.root, "root", "", "path to the graph root directory (default: rpod's own store)")
	fs.StringVar(&gl.runroot, "runroot", "", "path to the run root directory")
	fs.StringVar(&gl.driver, "storage-driver", "", "storage driver: overlay or vfs (default: probed)")
	stringArrayVar(fs, &gl.storageOpts, "storage-opt", "", "storage driver option")
	fs.StringVar(&gl.logLevel, "log-level", "warn", "debug also prints the storage and image libraries' log; other levels are accepted for podman compatibility")
}

// globalFlag is the global flag called name, for reading a command line; nil if there is none.
func globalFlag(name string) *pflag.Flag {
	fs := pflag.NewFlagSet("globals", pflag.ContinueOnError)
	addGlobalFlags(fs, &globals{}) // not g: defining a flag sets its variable to the default
	return fs.Lookup(name)
}

// commands are the top-level commands; each command's file registers its
// own in an init function, so that adding one touches no other file.
var commands []func() *cobra.Command

func register(c ...func() *cobra.Command) { commands = append(commands, c...) }

// enter joins the rootless namespace; every command that touches the store calls it first.
func enter() error {
	if err := userns.Ensure(); err != nil {
		return &exitError{code: runtime.ExitRpodError, msg: err.Error()}
	}
	return nil
}

// openStore joins the namespace and opens the store once per command.
func openStore() (cstorage.Store, error) {
	if g.store != nil {
		return g.store, nil
	}
	if err := enter(); err != nil {
		return nil, err
	}
	// containers/storage reads XDG_RUNTIME_DIR itself: the fallback rpod
	// warned about must be the one it sees.
	if err := ensureRuntimeDirEnv(); err != nil {
		return nil, err
	}
	opts, err := storeOptions()
	if err != nil {
		return nil, err
	}
	if storage.WaitTeardowns(opts.RunRoot, storage.TeardownWait) {
		lock := storage.TeardownLock(opts.RunRoot)
		userns.Warnf("an rpod run --rm is still removing its container after %s (`fuser %s` names it): going on without waiting", storage.TeardownWait, lock)
	}
	s, err := storage.Open(opts)
	if err != nil {
		return nil, err
	}
	g.store, g.opts = s, opts
	return s, nil
}

func storeOptions() (storage.Options, error) {
	rd, err := userns.RuntimeDir()
	if err != nil {
		return storage.Options{}, err
	}
	opts, err := storage.DefaultOptions(rd)
	if err != nil {
		return storage.Options{}, err
	}
	if g.root != "" {
		opts.GraphRoot = g.root
	}
	if g.runroot != "" {
		opts.RunRoot = g.runroot
	}
	if g.driver != "" {
		opts.Driver = g.driver
	}
	opts.DriverOptions = append(opts.DriverOptions, g.storageOpts...)
	return opts, nil
}

// findImage finds the image for run and create under a --pull policy:
// missing pulls only when absent, always pulls, never only looks, and newer
// pulls but keeps a local image when the registry cannot be reached.
func findImage(cmd *cobra.Command, name, policy string) (*cstorage.Image, error) {
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	sys := image.SystemContext()
	pull := func() (*cstorage.Image, error) {
		return image.Pull(cmd.Context(), store, sys, name, image.PullOptions{Report: os.Stderr})
	}
	img, err := image.Lookup(store, sys, name)
	if err != nil && !errors.Is(err, image.ErrNotFound) {
		return nil, err
	}
	switch policy {
	case "always":
		return pull()
	case "newer":
		if fresh, perr := pull(); perr == nil || img == nil {
			return fresh, perr
		}
		return img, nil
	case "never":
		if img == nil {
			return nil, fmt.Errorf("%s: image not known locally, and --pull=never: pull it first (rpod pull %s)", name, name)
		}
		return img, nil
	case "missing", "":
		if img != nil {
			return img, nil
		}
		return pull()
	}
	return nil, fmt.Errorf("invalid --pull %q: use always, missing, never or newer", policy)
}
