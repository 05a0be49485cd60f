package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/volume"
)

func init() { register(newVolumeCmd) }

func newVolumeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Manage named volumes"}
	cmd.AddCommand(newVolumeCreateCmd(), newVolumeLsCmd(), newVolumeInspectCmd(), newVolumeRmCmd(),
		newVolumePruneCmd(), newVolumeExistsCmd())
	return cmd
}

// volumes opens the store and returns its volumes, under the graphroot as podman's.
func volumes() (*volume.Store, error) {
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	return volume.New(store.GraphRoot()), nil
}

// resolveMounts checks bind sources and finds or creates named volumes,
// turning them into binds of their data; it returns the volumes' names.
func resolveMounts(ms []runtime.Mount) ([]string, error) {
	var names []string
	for i := range ms {
		m := &ms[i]
		switch m.Type {
		case "bind":
			abs, err := filepath.Abs(m.Source)
			if err != nil {
				return nil, err
			}
			if _, err := os.Stat(abs); err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil, fmt.Errorf("statfs %s: no such file or directory", abs)
				}
				return nil, fmt.Errorf("statfs %s: %w", abs, errors.Unwrap(err))
			}
			m.Source = abs
		case "volume":
			vs, err := volumes()
			if err != nil {
				return nil, err
			}
			v, _, err := vs.GetOrCreate(m.Source)
			if err != nil {
				return nil, err
			}
			m.Type, m.Source = "bind", v.Mountpoint
			names = append(names, v.Name)
		}
	}
	return names, nil
}

// prepareVolumes copies the image's content into the container's fresh
// volumes and applies U, through the container's mounted rootfs.
func prepareVolumes(c *runtime.Container) error {
	vs, err := volumes()
	if err != nil {
		return err
	}
	type copyUp struct{ name, dst string }
	var copies []copyUp
	for _, name := range c.Volumes {
		v, err := vs.Get(name)
		if err != nil || !v.NeedsCopyUp {
			continue
		}
		for _, m := range c.Spec.Mounts {
			if m.Source == v.Mountpoint {
				copies = append(copies, copyUp{name, m.Destination})
			}
		}
	}
	var chowns []runtime.Mount
	for _, m := range c.Spec.Mounts {
		if m.Chown && m.Type == "bind" {
			chowns = append(chowns, m)
		}
	}
	if len(copies) == 0 && len(chowns) == 0 {
		return nil
	}
	rootfs, err := c.Mount()
	if err != nil {
		return err
	}
	defer c.Unmount()
	for _, cu := range copies {
		src, err := runtime.ResolveIn(rootfs, cu.dst)
		if err != nil {
			return err
		}
		if st, err := os.Lstat(src); err != nil || !st.IsDir() {
			src = ""
		}
		if err := vs.CopyUpOnce(cu.name, src); err != nil {
			return err
		}
	}
	if len(chowns) == 0 {
		return nil
	}
	u, err := runtime.ResolveUser(c.Spec.User, openIn(rootfs, "/etc/passwd"), openIn(rootfs, "/etc/group"))
	if err != nil {
		return err
	}
	// A keep-id or nomap container's ids are shifted from rpod's.
	uid, gid, mapped := c.Spec.UserNS.HostIDs(u.UID, u.GID)
	if !mapped {
		return fmt.Errorf("volume option U: the container's user %d:%d is not mapped by --userns=%s", u.UID, u.GID, c.Spec.UserNS)
	}
	for _, m := range chowns {
		if err := volume.Chown(m.Source, uid, gid); err != nil {
			return fmt.Errorf("volume option U: %w", err)
		}
	}
	return nil
}

// openIn reads a small file of the image without following its links out.
func openIn(root, p string) io.Reader {
	t, err := runtime.ResolveIn(root, p)
	if err != nil {
		return nil
	}
	f, err := os.Open(t)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 16<<20))
	return strings.NewReader(string(b))
}

func newVolumeCreateCmd() *cobra.Command {
	var labels []string
	var driver string
	var opts []string
	var ignore bool
	cmd := &cobra.Command{
		Use:   "create [NAME]",
		Short: "Create a named volume",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if driver != "local" {
				return fmt.Errorf("volume driver %q is not supported: rpod has the local driver only", driver)
			}
			if len(opts) > 0 {
				return fmt.Errorf("volume options (-o) are not supported yet by rpod's local driver")
			}
			var lm map[string]string
			for _, l := range labels {
				var err error
				if lm, err = addKV(lm, l, "label"); err != nil {
					return err
				}
			}
			vs, err := volumes()
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			if ignore && name != "" {
				if _, err := vs.Get(name); err == nil {
					fmt.Println(name) // as podman: the volume that is there
					return nil
				}
			}
			v, err := vs.Create(name, lm)
			if err != nil {
				return err
			}
			fmt.Println(v.Name)
			return nil
		},
	}
	fl := cmd.Flags()
	stringArrayVar(fl, &labels, "label", "l", "set a label on the volume: K=V")
	fl.StringVarP(&driver, "driver", "d", "local", "volume driver")
	stringArrayVar(fl, &opts, "opt", "o", "driver options")
	fl.BoolVar(&ignore, "ignore", false, "do nothing, without error, when the volume exists")
	return cmd
}

// volumeUsers maps each volume name to the containers that use it.
func volumeUsers() (map[string][]*runtime.Container, error) {
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	cs, err := runtime.List(store)
	if err != nil {
		return nil, err
	}
	users := map[string][]*runtime.Container{}
	for _, c := range cs {
		for _, v := range c.Volumes {
			users[v] = append(users[v], c)
		}
	}
	return users, nil
}

// volumeRow is what ls --format and inspect show for a volume.
type volumeRow struct {
	*volume.Volume
	MountCount int  `json:"MountCount"`
	NeedsChown bool `json:"NeedsChown"`
}

func newVolumeLsCmd() *cobra.Command {
	var quiet, noHeading bool
	var format string
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			vs, err := volumes()
			if err != nil {
				return err
			}
			list, err := vs.List()
			if err != nil {
				return err
			}
			if quiet {
				for _, v := range list {
					fmt.Println(v.Name)
				}
				return nil
			}
			rows := make([]volumeRow, 0, len(list))
			items := make([]any, 0, len(list))
			for _, v := range list {
				rows = append(rows, volumeRow{Volume: v})
				items = append(items, volumeRow{Volume: v})
			}
			if format == "json" {
				return writeJSON(os.Stdout, rows)
			}
			if format == "" {
				format = "table {{.Driver}}\t{{.Name}}"
			}
			return printTable(os.Stdout, format, map[string]string{"Name": "VOLUME NAME"}, items, noHeading)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&quiet, "quiet", "q", false, "print volume names only")
	fl.BoolVarP(&noHeading, "noheading", "n", false, "do not print the header line")
	fl.StringVar(&format, "format", "", "Go template for each volume, or json")
	return cmd
}

func newVolumeInspectCmd() *cobra.Command {
	var all bool
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [NAME...]",
		Short: "Show volumes in detail",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return fmt.Errorf("give at least one volume name, or --all")
			}
			vs, err := volumes()
			if err != nil {
				return err
			}
			users, err := volumeUsers()
			if err != nil {
				return err
			}
			var list []*volume.Volume
			if all {
				if list, err = vs.List(); err != nil {
					return err
				}
			}
			for _, n := range args {
				v, err := vs.Get(n)
				if err != nil {
					return err
				}
				list = append(list, v)
			}
			rows := make([]any, 0, len(list))
			for _, v := range list {
				rows = append(rows, volumeRow{Volume: v, MountCount: len(users[v.Name])})
			}
			if format == "" || format == "json" {
				return writeJSON(os.Stdout, rows)
			}
			return printTable(os.Stdout, format, nil, rows, true)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "inspect every volume")
	cmd.Flags().StringVarP(&format, "format", "f", "", "Go template for each volume, or json")
	return cmd
}

func newVolumeRmCmd() *cobra.Command {
	var force, all bool
	cmd := &cobra.Command{
		Use:     "rm [flags] NAME...",
		Aliases: []string{"remove"},
		Short:   "Remove volumes",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return fmt.Errorf("give at least one volume name, or --all")
			}
			vs, err := volumes()
			if err != nil {
				return err
			}
			if all {
				list, err := vs.List()
				if err != nil {
					return err
				}
				for _, v := range list {
					args = append(args, v.Name)
				}
			}
			users, err := volumeUsers()
			if err != nil {
				return err
			}
			var last error
			for _, n := range args {
				if err := removeVolume(vs, n, users[n], force); err != nil {
					if last != nil {
						fmt.Fprintln(os.Stderr, "Error:", last)
					}
					last = err
					continue
				}
				fmt.Println(n)
			}
			return last
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove the containers that use the volume, then the volume")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every volume")
	return cmd
}

// removeVolume refuses a volume in use unless force, which removes its
// containers first, as podman's volume rm -f.
func removeVolume(vs *volume.Store, name string, users []*runtime.Container, force bool) error {
	if _, err := vs.Get(name); err != nil {
		if errors.Is(err, volume.ErrNotFound) {
			// podman's volume rm: 1 for a missing volume, 2 for one in use.
			return &exitError{code: 1, msg: err.Error()}
		}
		return err
	}
	if len(users) > 0 && !force {
		ids := make([]string, len(users))
		for i, c := range users {
			ids[i] = c.ID
		}
		return &exitError{code: 2, msg: fmt.Sprintf("volume %s is being used by the following container(s): %s: volume is being used (remove them first, or use rpod volume rm -f)", name, strings.Join(ids, ", "))}
	}
	for _, c := range users {
		if err := removeContainer(c, true, 10e9); err != nil {
			return fmt.Errorf("remove container %s using volume %s: %w", c.Name, name, err)
		}
	}
	return vs.Remove(name)
}

func newVolumePruneCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove every volume no container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			vs, err := volumes()
			if err != nil {
				return err
			}
			list, err := vs.List()
			if err != nil {
				return err
			}
			users, err := volumeUsers()
			if err != nil {
				return err
			}
			if !force {
				fmt.Print("WARNING! This will remove all volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ")
				ans, _ := bufio.NewReader(os.Stdin).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(ans)); a != "y" && a != "yes" {
					return nil
				}
			}
			for _, v := range list {
				if len(users[v.Name]) > 0 {
					continue
				}
				if err := vs.Remove(v.Name); err != nil {
					return err
				}
				fmt.Println(v.Name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
	return cmd
}

func newVolumeExistsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exists NAME",
		Short: "Exit 0 if the volume exists, 1 if not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			vs, err := volumes()
			if err != nil {
				return err
			}
			if _, err := vs.Get(args[0]); err != nil {
				if errors.Is(err, volume.ErrNotFound) {
					return &exitError{code: 1}
				}
				return err
			}
			return nil
		},
	}
}

// removeAnonymousVolumes removes the anonymous volumes c used once c itself
// is gone (rm -v, --rm), keeping any another container still uses, as podman does.
func removeAnonymousVolumes(c *runtime.Container) error {
	if len(c.Volumes) == 0 {
		return nil
	}
	vs, err := volumes()
	if err != nil {
		return err
	}
	users, err := volumeUsers()
	if err != nil {
		return err
	}
	var last error
	for _, name := range c.Volumes {
		v, err := vs.Get(name)
		if err != nil || !v.Anonymous {
			continue
		}
		others := 0
		for _, u := range users[name] {
			if u.ID != c.ID {
				others++
			}
		}
		if others > 0 {
			continue
		}
		if err := vs.Remove(name); err != nil {
			last = err
		}
	}
	return last
}
