package main

import "github.com/spf13/cobra"

func init() { register(newImageCmd) }

// imageCommands are the subcommands of `rpod image`; most are also top-level
// commands (`rpod pull` is `rpod image pull`), as in podman.
var imageCommands []func() *cobra.Command

func registerImage(c ...func() *cobra.Command) { imageCommands = append(imageCommands, c...) }

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Manage images"}
	addLazy(cmd, imageCommands) // lazy.go
	return cmd
}
