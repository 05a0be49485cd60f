package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/quadlet"
	"github.com/rpod/rpod/userns"
)

// generatorName is the name systemd runs rpod under as a user generator
// (a symlink in a user-generators directory, see the Makefile).
const generatorName = "rpod-user-generator"

func init() {
	register(newSystemdCmd)
	// systemd runs generators as NAME NORMAL-DIR [EARLY-DIR LATE-DIR].
	if filepath.Base(os.Args[0]) == generatorName {
		os.Args = append([]string{os.Args[0], "systemd", "generator"}, os.Args[1:]...)
	}
}

func newSystemdCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "systemd", Short: "Turn Quadlet files (.container, .volume, .network, .image) into systemd user units"}
	cmd.AddCommand(&cobra.Command{
		Use:   "dryrun",
		Short: "Print the units the user generator would write, and the errors in the Quadlet files",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			units, errs := generateUnits()
			fmt.Print(quadlet.Dryrun(units))
			return reportQuadletErrors(errs)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "generator NORMAL-DIR [EARLY-DIR LATE-DIR]",
		Short: "Write the units and their [Install] symlinks into NORMAL-DIR, as the systemd user generator " + generatorName + " does",
		Args:  cobra.RangeArgs(1, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			units, errs := generateUnits()
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			if err := quadlet.Write(args[0], units); err != nil {
				return err
			}
			return reportQuadletErrors(errs)
		},
	})
	return cmd
}

// generateUnits loads the user's Quadlet files and converts them.
func generateUnits() ([]quadlet.Unit, []error) {
	self, err := os.Executable()
	if err != nil {
		self = "rpod"
	}
	files, errs := quadlet.Load(quadlet.UserDirs(userns.HostUID()))
	units, gerrs := quadlet.Generate(files, quadlet.Options{Rpod: self})
	return units, append(errs, gerrs...)
}

// reportQuadletErrors prints every error but the last, which main prints.
func reportQuadletErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	for _, e := range errs[:len(errs)-1] {
		fmt.Fprintf(os.Stderr, "Error: %v\n", e)
	}
	return &exitError{code: 1, msg: errs[len(errs)-1].Error()}
}
