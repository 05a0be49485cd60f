package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/runtime"
)

func TestLimitArgs(t *testing.T) {
	for _, tc := range []struct {
		l    cgroupdelegate.Limits
		r    runtime.Resources
		want string
	}{
		{cgroupdelegate.Limits{}, runtime.Resources{}, ""},
		{cgroupdelegate.Limits{PidsMax: 2048}, runtime.Resources{}, ""},
		{cgroupdelegate.Limits{PidsMax: -1}, runtime.Resources{}, "--pids-limit -1"},
		{cgroupdelegate.Limits{PidsMax: 50}, runtime.Resources{}, "--pids-limit 50"},
		{cgroupdelegate.Limits{MemoryMax: 1 << 20}, runtime.Resources{MemorySwap: 2 << 20}, "--memory 1048576b --memory-swap 2097152b"},
		{cgroupdelegate.Limits{MemoryMax: 1 << 20}, runtime.Resources{MemorySwap: -1}, "--memory 1048576b --memory-swap -1"},
		{cgroupdelegate.Limits{CpusetMems: "0"}, runtime.Resources{CPUShares: 512, BlkioWeight: 300}, "--cpuset-mems 0 --cpu-shares 512 --blkio-weight 300"},
	} {
		c := &runtime.Container{Config: runtime.Config{Cgroups: cgroupdelegate.Options{Limits: tc.l}, Resources: tc.r}}
		if got := limitArgs(c); !slices.Equal(got, strings.Fields(tc.want)) {
			t.Errorf("limitArgs(%+v, %+v) = %q, want %q", tc.l, tc.r, got, tc.want)
		}
	}
}
