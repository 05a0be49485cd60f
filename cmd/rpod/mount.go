package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newMountCmd, newUnmountCmd)
	registerContainer(newMountCmd, newUnmountCmd)
}

const mountNote = `The path lives in rpod's rootless user and mount namespace: it is usable
only from inside it, e.g. rpod unshare ls PATH, as with podman.`

func newMountCmd() *cobra.Command {
	var noTrunc bool
	cmd := &cobra.Command{
		Use:   "mount [CONTAINER...]",
		Short: "Mount containers' root filesystems and print where",
		Long: "Mount each container's root filesystem and print its path; with no\n" +
			"container, list the mounted containers and their paths.\n\n" + mountNote,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return listMounted(store, noTrunc)
			}
			var last error
			for _, n := range args {
				c, err := runtime.Load(store, n)
				if err == nil {
					var dir string
					if dir, err = c.Mount(); err == nil {
						fmt.Println(dir)
						continue
					}
					err = fmt.Errorf("mount %s: %w", c.Name, err)
				}
				if last != nil {
					fmt.Fprintf(os.Stderr, "Error: %v\n", last)
				}
				last = err
			}
			return last
		},
	}
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "print full container ids")
	cmd.Flags().BoolVar(&noTrunc, "notruncate", false, "same as --no-trunc")
	return cmd
}

func listMounted(store cstorage.Store, noTrunc bool) error {
	cs, err := runtime.List(store)
	if err != nil {
		return err
	}
	for _, c := range cs {
		c.ReapDead() // a container whose owner was killed is not mounted for anyone
		if n, err := c.Mounts(); err != nil || n == 0 {
			continue
		}
		dir, err := c.Mount()
		if err != nil {
			continue
		}
		// Only to learn the path: give back the count Mount took.
		c.Unmount()
		id := c.ID
		if !noTrunc {
			id = id[:12]
		}
		fmt.Printf("%s  %s\n", id, dir)
	}
	return nil
}

func newUnmountCmd() *cobra.Command {
	var all, force bool
	cmd := &cobra.Command{
		Use:     "unmount [flags] CONTAINER...",
		Aliases: []string{"umount"},
		Short:   "Release containers' root filesystem mounts taken by rpod mount",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return fmt.Errorf("give container names or --all, not both or neither")
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			if all {
				cs, err := runtime.List(store)
				if err != nil {
					return err
				}
				for _, c := range cs {
					if n, err := c.Mounts(); err == nil && n > 0 && !c.Running() {
						args = append(args, c.ID)
					}
				}
			}
			var last error
			for _, n := range args {
				c, err := runtime.Load(store, n)
				if err == nil {
					if err = c.UnmountForce(force); err == nil {
						fmt.Println(c.ID)
						continue
					}
					err = fmt.Errorf("unmount %s: %w", c.Name, err)
				}
				if last != nil {
					fmt.Fprintf(os.Stderr, "Error: %v\n", last)
				}
				last = err
			}
			return last
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "unmount every mounted container that is not running")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "unmount however many times the rootfs was mounted")
	return cmd
}
