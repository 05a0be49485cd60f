package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/hostcheck"
	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/storage"
	"github.com/rpod/rpod/userns"
)

// newSystemCheckCmd is `rpod system check`. It runs outside rpod's user
// namespace (join.c skips it) because the checks must see the host as the
// user does; it neither opens the store nor starts a pause process.
func newSystemCheckCmd() *cobra.Command {
	var format string
	var profile bool
	cmd := &cobra.Command{
		Use:   "check [--format json]",
		Short: "Check this host's setup for rootless containers, with the fix for each problem",
		Long: "Check this host's setup for rootless containers: one line per check (ok, warn or fail),\n" +
			"and under each warn and fail the command that fixes it.\n" +
			"Exits 0 when rpod can run containers (warnings allowed), 1 when it cannot.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if profile {
				exe, err := os.Executable()
				if err != nil {
					return err
				}
				fmt.Print(hostcheck.AppArmorProfile(exe))
				return nil
			}
			if format != "" && format != "json" && format != "{{json .}}" {
				return &exitError{code: runtime.ExitRpodError, msg: fmt.Sprintf("unknown --format %q: use json, or no --format for the table", format)}
			}
			if userns.Joined() {
				// Inside `rpod unshare` every check would see rpod's namespace, not the host.
				return &exitError{code: runtime.ExitRpodError, msg: "rpod system check must run outside rpod unshare: it checks the host as you see it"}
			}
			if os.Geteuid() == 0 && !userns.Rootless() {
				return &exitError{code: runtime.ExitRpodError, msg: "rpod system check checks a user's rootless setup: run it as that user, not as root"}
			}
			opts, err := checkStoreOptions()
			if err != nil {
				return err
			}
			rs := hostcheck.Run(hostcheck.DefaultOptions(opts.GraphRoot, opts.Driver))
			if format != "" {
				b, err := json.MarshalIndent(rs, "", "    ")
				if err != nil {
					return err
				}
				fmt.Println(string(b))
			} else {
				writeCheckTable(os.Stdout, rs)
			}
			if !hostcheck.CanRun(rs) {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "json for a JSON array of {name, status, found, fix}")
	cmd.Flags().BoolVar(&profile, "apparmor-profile", false, "print the AppArmor profile that allows this rpod binary user namespaces")
	return cmd
}

// checkStoreOptions finds the store as openStore would, without joining the
// namespace or creating the runtime directory.
func checkStoreOptions() (storage.Options, error) {
	opts, err := storage.DefaultOptions(userns.RuntimeDirPath())
	if err != nil {
		return storage.Options{}, err
	}
	if g.root != "" {
		opts.GraphRoot = g.root
	}
	if g.driver != "" {
		opts.Driver = g.driver
	}
	return opts, nil
}

// writeCheckTable prints podman-style aligned columns, each fix indented
// under its line.
func writeCheckTable(w io.Writer, rs []hostcheck.Result) {
	nameW, statusW := len("CHECK"), len("STATUS")
	for _, r := range rs {
		nameW = max(nameW, len(r.Name))
		statusW = max(statusW, len(r.Status))
	}
	fmt.Fprintf(w, "%-*s  %-*s  %s\n", nameW, "CHECK", statusW, "STATUS", "FOUND")
	for _, r := range rs {
		fmt.Fprintf(w, "%-*s  %-*s  %s\n", nameW, r.Name, statusW, r.Status, r.Found)
		if r.Status != hostcheck.OK && r.Fix != "" {
			for _, l := range strings.Split(r.Fix, "\n") {
				fmt.Fprintf(w, "%*s  fix: %s\n", nameW, "", l)
			}
		}
	}
}
