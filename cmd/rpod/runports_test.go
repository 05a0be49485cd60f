package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/netslirp"
)

func TestPublishedPorts(t *testing.T) {
	tcp := func(host, ctr uint16) netslirp.PortMapping {
		return netslirp.PortMapping{HostPort: host, ContainerPort: ctr, Protocol: "tcp"}
	}
	udp := func(host, ctr uint16) netslirp.PortMapping {
		return netslirp.PortMapping{HostPort: host, ContainerPort: ctr, Protocol: "udp"}
	}
	for _, tc := range []struct {
		publish []string
		all     bool
		exposed []string
		want    []netslirp.PortMapping
		err     string
	}{
		{},
		{publish: []string{"8080:80", "53/udp"}, want: []netslirp.PortMapping{tcp(8080, 80), udp(0, 53)}},
		{exposed: []string{"80/tcp"}}, // EXPOSE alone publishes nothing
		{all: true, exposed: []string{"443/tcp", "53/udp", "80"}, want: []netslirp.PortMapping{tcp(0, 443), udp(0, 53), tcp(0, 80)}},
		// -p wins over -P for the same container port and protocol.
		{publish: []string{"8080:80"}, all: true, exposed: []string{"80/tcp", "80/udp"}, want: []netslirp.PortMapping{tcp(8080, 80), udp(0, 80)}},
		{publish: []string{"8080:80", "8080:80"}, want: []netslirp.PortMapping{tcp(8080, 80)}},
		{publish: []string{"8080:80", "8080:81"}, err: "conflicting port mappings for host port 8080"},
		{publish: []string{"8000-8010:80"}, err: "different lengths"},
		{all: true, exposed: []string{"80/icmp"}, err: "EXPOSE"},
	} {
		got, err := publishedPorts(tc.publish, tc.all, tc.exposed)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("publishedPorts(%q, %v, %q) = %v; want error with %q", tc.publish, tc.all, tc.exposed, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("publishedPorts(%q, %v, %q) = %v, %v; want %v", tc.publish, tc.all, tc.exposed, got, err, tc.want)
		}
	}
}

func TestApplyPortsDiscarded(t *testing.T) {
	for _, mode := range []string{"none", "host", "container:web", "ns:/run/netns/x"} {
		f := &runFlags{}
		f.publish = []string{"8080:80"}
		cfg := &netslirp.Config{Mode: mode}
		if err := f.applyPorts(cfg, imageConfigWithExpose()); err != nil || cfg.Ports != nil {
			t.Errorf("--network %s: ports %v, %v; want discarded", mode, cfg.Ports, err)
		}
	}
	f := &runFlags{}
	f.publish = []string{"8080:80"}
	cfg := &netslirp.Config{Mode: "slirp4netns"}
	if err := f.applyPorts(cfg, imageConfigWithExpose()); err != nil || len(cfg.Ports) != 1 {
		t.Errorf("slirp4netns: ports %v, %v", cfg.Ports, err)
	}
}

func imageConfigWithExpose() image.Config { return image.Config{ExposedPorts: []string{"80/tcp"}} }
