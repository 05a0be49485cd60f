package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/netslirp"
)

// portFlags are run and create's -p and -P.
type portFlags struct {
	publish    []string
	publishAll bool
	warned     bool // the discarded-ports warning, once (applyPorts runs twice)
}

func (f *portFlags) add(fl *pflag.FlagSet) {
	stringArrayVar(fl, &f.publish, "publish", "p",
		"publish a container's port, or range, to the host: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp] (no host port: a random one)")
	fl.BoolVarP(&f.publishAll, "publish-all", "P", false, "publish the image's EXPOSE ports to random host ports")
}

// applyPorts adds -p and -P (the image's EXPOSE ports) to the network config.
func (f *runFlags) applyPorts(cfg *netslirp.Config, ic image.Config) error {
	ports, err := publishedPorts(f.publish, f.publishAll, ic.ExposedPorts)
	if err != nil {
		return err
	}
	if len(ports) > 0 && cfg.NoStack() {
		// As podman: nothing of the container's own to publish from.
		if !f.warned {
			fmt.Fprintf(os.Stderr, "WARNING: port mappings have been discarded: --network %s has no network of its own to publish\n", cfg.Mode)
			f.warned = true
		}
		ports = nil
	}
	cfg.Ports = ports
	return nil
}

// publishedPorts is -p's mappings, then with -P each EXPOSE port that -p
// did not publish, to a random host port.
func publishedPorts(publish []string, all bool, exposed []string) ([]netslirp.PortMapping, error) {
	var ports []netslirp.PortMapping
	for _, p := range publish {
		m, err := netslirp.ParsePublish(p)
		if err != nil {
			return nil, err
		}
		ports = append(ports, m...)
	}
	if all {
		n := len(ports)
		for _, e := range exposed {
			ms, err := netslirp.ParsePublish(e)
			if err != nil {
				return nil, fmt.Errorf("-P: the image's EXPOSE %q: %w", e, err)
			}
		next:
			for _, m := range ms {
				for _, q := range ports[:n] {
					if q.ContainerPort == m.ContainerPort && q.Protocol == m.Protocol {
						continue next
					}
				}
				ports = append(ports, m)
			}
		}
	}
	return netslirp.MergePorts(ports)
}
