package hostcheck

import (
	"strings"
	"testing"
)

func FuzzParsePingRange(f *testing.F) {
	for _, s := range []string{"1\t0\n", "0 2147483647", "x", "0 4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, ok := parsePingRange(s)
		if !ok && (lo != 0 || hi != 0) {
			t.Errorf("parsePingRange(%q) = %d %d on failure", s, lo, hi)
		}
		r := pingVerdict(s, 1000)
		if r.Status != OK && r.Fix == "" {
			t.Errorf("pingVerdict(%q) = %s without a fix", s, r.Status)
		}
	})
}

func FuzzBusPath(f *testing.F) {
	for _, s := range []string{"unix:path=/run/user/1000/bus", "unix:abstract=x;unix:path=/b,guid=1", "tcp:host=h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := busPath(s)
		if p != "" && (!strings.Contains(s, "path="+p) || strings.ContainsAny(p, ",;")) {
			t.Errorf("busPath(%q) = %q", s, p)
		}
	})
}

func FuzzKernelBefore(f *testing.F) {
	for _, s := range []string{"5.10.0-28-amd64", "6.1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if old, ok := kernelBefore(s, 5, 11); old && !ok {
			t.Errorf("kernelBefore(%q) old without a parse", s)
		}
	})
}
