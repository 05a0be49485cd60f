package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newAttachCmd)
	registerContainer(newAttachCmd)
}

func newAttachCmd() *cobra.Command {
	var (
		keys             string
		noStdin, sigProx bool
	)
	cmd := &cobra.Command{
		Use:   "attach [flags] CONTAINER",
		Short: "Attach the terminal to a running container's input and output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dk, err := runtime.ParseDetachKeys(keys)
			if err != nil {
				return err
			}
			c, err := openContainer(args[0])
			if err != nil {
				return err
			}
			o := runtime.AttachOptions{Stdout: os.Stdout, Stderr: os.Stderr, DetachKeys: dk, SigProxy: sigProx}
			if !noStdin {
				o.Stdin = os.Stdin
			}
			code, _, err := c.Attach(o)
			if errors.Is(err, runtime.ErrNotRunning) {
				return fmt.Errorf("%w: %s is %s; start it first (rpod start %s)", err, c.Name, c.State().Status, c.Name)
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keys, "detach-keys", runtime.DefaultDetachKeys, `keys that detach, leaving the container running: ctrl-<key> or characters, comma-separated ("" disables)`)
	f.BoolVar(&noStdin, "no-stdin", false, "do not send the terminal's input to the container")
	f.BoolVar(&sigProx, "sig-proxy", true, "forward the signals rpod receives to the container")
	return cmd
}
