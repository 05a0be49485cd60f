package image

import (
	"slices"
	"testing"

	"go.podman.io/image/v5/transports"
)

// A light rpod knows the transports of the full one by this list.
func TestTransportNamesAreTheRegistered(t *testing.T) {
	var want []string
	for _, n := range transports.ListNames() {
		if n != "docker" {
			want = append(want, n)
		}
	}
	slices.Sort(want)
	got := slices.Clone(transportNames)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("transportNames = %v, the full build registers %v", got, want)
	}
	for _, n := range append(want, "docker") {
		if HasTransport(n+":x") != (n != "docker") {
			t.Errorf("HasTransport(%q) wrong", n+":x")
		}
	}
}
