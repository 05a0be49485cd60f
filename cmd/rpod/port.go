package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/netslirp"
	"github.com/rpod/rpod/runtime"
)

func init() { register(newPortCmd); registerContainer(newPortCmd) }

func newPortCmd() *cobra.Command {
	var all, latest bool
	cmd := &cobra.Command{
		Use:   "port [flags] [CONTAINER] [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings, or the host address a container port is published on",
		Long: "List the published ports of a running container, or the host address of one of its ports.\n" +
			"A port published with no host port shows the one chosen when the container started.",
		Example: "  rpod port web\n  rpod port web 80/tcp\n  rpod port --all",
		RunE: func(cmd *cobra.Command, args []string) error {
			return listPorts(args, all, latest)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "list the port mappings of every running container")
	cmd.Flags().BoolVarP(&latest, "latest", "l", false, "act on the latest created container")
	return cmd
}

func listPorts(args []string, all, latest bool) error {
	var name, filter string
	switch {
	case all && latest:
		return errors.New("--all and --latest cannot be used together")
	case all && len(args) > 0:
		return errors.New("--all lists every container: give no container or port with it")
	case all:
	case latest:
		if len(args) > 1 {
			return fmt.Errorf("too many arguments: with --latest give at most a PRIVATE_PORT[/PROTO]")
		}
		id, err := latestContainer()
		if err != nil {
			return err
		}
		name = id
		if len(args) == 1 {
			filter = args[0]
		}
	case len(args) == 0:
		return errors.New("you must supply a running container name or id, or use --all or --latest")
	case len(args) > 2:
		return errors.New("too many arguments: rpod port CONTAINER [PRIVATE_PORT[/PROTO]]")
	default:
		name = args[0]
		if len(args) == 2 {
			filter = args[1]
		}
	}
	var want netslirp.PortMapping
	if filter != "" {
		var err error
		if want, err = parsePrivatePort(filter); err != nil {
			return err
		}
	}

	store, err := openStore()
	if err != nil {
		return err
	}
	var cs []*runtime.Container
	if all {
		if cs, err = runtime.List(store); err != nil {
			return err
		}
	} else {
		c, err := runtime.Load(store, name)
		if err != nil {
			return err
		}
		cs = []*runtime.Container{c}
	}

	found := false
	for _, c := range cs {
		// As podman: only a running container's ports are published; a
		// random host port is chosen again at the next start.
		if !c.Running() {
			continue
		}
		cfg, err := loadNetwork(c)
		if err != nil {
			return err
		}
		prefix := ""
		if all {
			prefix = c.ID[:12] + "\t"
		}
		for _, p := range cfg.Ports {
			switch {
			case p.HostPort == 0:
				// A random port not recorded: better none than a wrong one.
			case filter == "":
				fmt.Printf("%s%s\n", prefix, p)
			case p.ContainerPort == want.ContainerPort && p.Protocol == want.Protocol && !found:
				fmt.Printf("%s%s\n", prefix, p.HostAddr()) // the first, as podman
				found = true
			}
		}
	}
	if filter != "" && !found {
		return fmt.Errorf("failed to find published port %q", filter)
	}
	return nil
}

// parsePrivatePort parses port's PRIVATE_PORT[/PROTO] argument, tcp by default.
func parsePrivatePort(s string) (netslirp.PortMapping, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		proto = "tcp"
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 || (proto != "tcp" && proto != "udp") {
		return netslirp.PortMapping{}, fmt.Errorf("invalid port %q: the format is PORT[/tcp|udp], PORT from 1 to 65535", s)
	}
	return netslirp.PortMapping{ContainerPort: uint16(n), Protocol: proto}, nil
}
