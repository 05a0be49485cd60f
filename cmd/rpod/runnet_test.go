package main

import (
	"strings"
	"testing"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/netslirp"
	"github.com/rpod/rpod/runtime"
)

func TestNetworkConfig(t *testing.T) {
	for _, c := range []struct {
		flags netFlags
		mode  string
		err   string
	}{
		{flags: netFlags{}, mode: netslirp.DefaultMode()},
		{flags: netFlags{network: "private"}, mode: netslirp.DefaultMode()},
		{flags: netFlags{network: "none", dns: []string{"1.1.1.1"}, addHosts: []string{"a:1.2.3.4"}}, mode: "none"},
		{flags: netFlags{network: "host", dns: []string{"none"}}, mode: "host"},
		{flags: netFlags{network: "container:x", dns: []string{"1.1.1.1"}}, err: "conflicting options"},
		{flags: netFlags{network: "ns:/x", addHosts: []string{"a:1.2.3.4"}}, err: "conflicting options"},
		{flags: netFlags{dns: []string{"1.1.1.1", "none"}}, err: `invalid --dns "none"`},
		{flags: netFlags{dns: []string{"x"}}, err: `invalid --dns "x"`},
		{flags: netFlags{addHosts: []string{"x"}}, err: "invalid --add-host"},
		{flags: netFlags{dnsSearch: []string{"a b"}}, err: "invalid --dns-search"},
		{flags: netFlags{network: "nope"}, err: "unknown --network mode"},
	} {
		f := &runFlags{netFlags: c.flags}
		cfg, err := f.networkConfig(image.Config{})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: %v, want error with %q", c.flags, err, c.err)
			}
			continue
		}
		if err != nil || cfg.Mode != c.mode {
			t.Errorf("%+v: mode %v, %v; want %q", c.flags, cfg, err, c.mode)
		}
	}
}

func TestApplyNet(t *testing.T) {
	for _, c := range []struct {
		flags   netFlags
		hostNet bool
		netns   string
		files   int
	}{
		{flags: netFlags{network: "none"}, files: 3},
		{flags: netFlags{network: "none", noHosts: true, dns: []string{"none"}}, files: 1},
		{flags: netFlags{network: "host"}, hostNet: true, files: 3},
		{flags: netFlags{network: "ns:/run/netns/a"}, netns: "/run/netns/a", files: 3},
	} {
		f := &runFlags{netFlags: c.flags}
		var spec runtime.Spec
		if err := f.applyNet(&spec); err != nil {
			t.Fatalf("%+v: %v", c.flags, err)
		}
		if spec.HostNet != c.hostNet || spec.NetNS != c.netns || len(spec.EtcFiles) != c.files {
			t.Errorf("%+v: HostNet %v NetNS %q EtcFiles %v", c.flags, spec.HostNet, spec.NetNS, spec.EtcFiles)
		}
		if c.hostNet && spec.Hostname == "" {
			t.Errorf("--network host: no hostname")
		}
	}
}
