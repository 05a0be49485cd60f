package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/runtime"
)

func init() {
	register(newRmiCmd)
	registerImage(func() *cobra.Command {
		c := newRmiCmd()
		c.Use, c.Aliases = "rm [flags] IMAGE [IMAGE...]", nil
		return c
	}, newImagePruneCmd)
}

// podman's rmi exit codes: 1 when an image was not found (and nothing else
// failed), 2 when one is in use.
const (
	rmiExitNotFound = 1
	rmiExitInUse    = 2
)

func newRmiCmd() *cobra.Command {
	var force, all, ignore bool
	cmd := &cobra.Command{
		Use:   "rmi [flags] IMAGE [IMAGE...]",
		Short: "Remove images from local storage",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return &exitError{code: runtime.ExitRpodError, msg: "rmi needs at least one image name or id, or --all"}
			}
			if len(args) > 0 && all {
				return &exitError{code: runtime.ExitRpodError, msg: "rmi takes image names or --all, not both"}
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			r := &remover{store: store, force: force}
			if all {
				imgs, err := store.Images()
				if err != nil {
					return fmt.Errorf("list images: %w", err)
				}
				for i := range imgs {
					r.remove(&imgs[i], "", false)
				}
			}
			for _, a := range args {
				img, name, err := image.Resolve(store, image.SystemContext(), a)
				if err != nil {
					if errors.Is(err, image.ErrNotFound) {
						if ignore {
							continue
						}
						err = fmt.Errorf("%s: image not known", a)
					}
					r.fail(err, rmiExitNotFound)
					continue
				}
				r.remove(img, name, name == "")
			}
			return r.result()
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove the containers using the image too")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove all images")
	cmd.Flags().BoolVarP(&ignore, "ignore", "i", false, "ignore images that do not exist")
	return cmd
}

// remover removes images one by one, printing podman's Untagged and
// Deleted lines, and keeps going after a failure.
type remover struct {
	store cstorage.Store
	force bool
	errs  []error
	code  int
	users map[string][]*runtime.Container
}

func (r *remover) fail(err error, code int) {
	r.errs = append(r.errs, err)
	// An in-use failure outranks a missing image, and any other failure both.
	switch {
	case code == runtime.ExitRpodError || r.code == runtime.ExitRpodError:
		r.code = runtime.ExitRpodError
	case code == rmiExitInUse || r.code == rmiExitInUse:
		r.code = rmiExitInUse
	default:
		r.code = code
	}
}

// remove deletes img, or only untags name when the image has other names;
// byID is an image named by id on the command line.
func (r *remover) remove(img *cstorage.Image, name string, byID bool) {
	// Another argument may have removed it already.
	img, err := r.store.Image(img.ID)
	if err != nil {
		return
	}
	if name != "" && len(img.Names) > 1 {
		if err := image.Untag(r.store, img, []string{name}); err != nil {
			r.fail(err, runtime.ExitRpodError)
			return
		}
		fmt.Printf("Untagged: %s\n", name)
		return
	}
	if byID && len(img.Names) > 1 && !r.force {
		r.fail(fmt.Errorf("unable to delete image %s by ID with more than one tag (%s): remove it by name or use rpod rmi -f", shortID(img.ID), strings.Join(img.Names, ", ")), runtime.ExitRpodError)
		return
	}
	if r.users == nil {
		if r.users, err = imageUsers(r.store); err != nil {
			r.fail(err, runtime.ExitRpodError)
			return
		}
	}
	if cs := r.users[img.ID]; len(cs) > 0 {
		if !r.force {
			var names []string
			for _, c := range cs {
				names = append(names, c.Name)
			}
			r.fail(fmt.Errorf("image %s is in use by container %s: remove the container first (rpod rm %s) or use rpod rmi -f", shortID(img.ID), strings.Join(names, ", "), strings.Join(names, " ")), rmiExitInUse)
			return
		}
		for _, c := range cs {
			if err := c.Remove(true); err != nil {
				r.fail(err, runtime.ExitRpodError)
				return
			}
		}
		delete(r.users, img.ID)
	}
	if err := deleteImage(r.store, img); err != nil {
		r.fail(err, runtime.ExitRpodError)
		return
	}
	for _, n := range img.Names {
		fmt.Printf("Untagged: %s\n", n)
	}
	fmt.Printf("Deleted: %s\n", img.ID)
}

// result prints every error but the last, which main prints.
func (r *remover) result() error {
	if len(r.errs) == 0 {
		return nil
	}
	for _, e := range r.errs[:len(r.errs)-1] {
		fmt.Fprintf(os.Stderr, "Error: %v\n", e)
	}
	return &exitError{code: r.code, msg: r.errs[len(r.errs)-1].Error()}
}

func newImagePruneCmd() *cobra.Command {
	var all, force bool
	cmd := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove dangling images, or with -a every image no container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force {
				what := "all dangling images"
				if all {
					what = "all images without at least one container associated with them"
				}
				fmt.Printf("WARNING! This command removes %s.\nAre you sure you want to continue? [y/N] ", what)
				ans, _ := bufio.NewReader(os.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					return nil
				}
			}
			store, err := openStore()
			if err != nil {
				return err
			}
			users, err := imageUsers(store)
			if err != nil {
				return err
			}
			// Removing an image can leave another dangling (it was the
			// parent), so go round until a pass removes nothing.
			for {
				sums, err := image.List(cmd.Context(), store, image.ListOptions{})
				if err != nil {
					return err
				}
				removed := 0
				for _, s := range sums {
					if len(users[s.ID]) > 0 || (!all && !s.Dangling) {
						continue
					}
					img, err := store.Image(s.ID)
					if err != nil {
						continue
					}
					if err := deleteImage(store, img); err != nil {
						return err
					}
					fmt.Println(img.ID)
					removed++
				}
				if removed == 0 {
					return nil
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every image no container uses, not only dangling ones")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
	return cmd
}

// deleteImage removes img that none of rpod's containers uses: a pin that
// a creation or removal cut short left behind is dropped, not obeyed.
func deleteImage(store cstorage.Store, img *cstorage.Image) error {
	err := image.Delete(store, img)
	if errors.Is(err, cstorage.ErrImageUsedByContainer) {
		if perr := runtime.DropStalePins(store, img.ID); perr != nil {
			return perr
		}
		err = image.Delete(store, img)
	}
	return err
}
