package image

import (
	"strings"
	"testing"
)

func TestParsePlatform(t *testing.T) {
	for _, tc := range []struct {
		in, os, arch, variant string
		bad                   bool
	}{
		{in: "linux/arm64", os: "linux", arch: "arm64"},
		{in: "linux/arm/v7", os: "linux", arch: "arm", variant: "v7"},
		{in: "Linux/AMD64", os: "linux", arch: "amd64"},
		{in: "linux", bad: true},
		{in: "", bad: true},
		{in: "linux/", bad: true},
		{in: "/arm64", bad: true},
		{in: "linux/arm/v7/x", bad: true},
		{in: "linux/ arm64", bad: true},
		{in: "linux//v7", bad: true},
	} {
		os, arch, variant, err := ParsePlatform(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParsePlatform(%q) = %s/%s/%s, want an error", tc.in, os, arch, variant)
			}
			continue
		}
		if err != nil || os != tc.os || arch != tc.arch || variant != tc.variant {
			t.Errorf("ParsePlatform(%q) = %q %q %q %v, want %q %q %q", tc.in, os, arch, variant, err, tc.os, tc.arch, tc.variant)
		}
	}
}

func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/arm64", "linux/arm/v7", "", "a//b", "x/y/z/w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		os, arch, variant, err := ParsePlatform(s)
		if err != nil {
			return
		}
		if os == "" || arch == "" || strings.Contains(os+arch+variant, "/") {
			t.Fatalf("ParsePlatform(%q) = %q %q %q", s, os, arch, variant)
		}
		// What it accepts it gives back the same way.
		o2, a2, v2, err := ParsePlatform(formatPlatform(os, arch, variant))
		if err != nil || o2 != os || a2 != arch || v2 != variant {
			t.Fatalf("round trip of %q: %q %q %q %v", s, o2, a2, v2, err)
		}
	})
}

func TestPlatformError(t *testing.T) {
	e := &PlatformError{Image: "r/armonly:latest", Want: "linux/amd64", Available: []string{"linux/arm64"}}
	if got, want := e.Error(), "image r/armonly:latest has no linux/amd64 instance (available: linux/arm64): use --platform"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestManifestType(t *testing.T) {
	for in, want := range map[string]string{
		"":     "",
		"oci":  "application/vnd.oci.image.manifest.v1+json",
		"OCI":  "application/vnd.oci.image.manifest.v1+json",
		"v2s2": "application/vnd.docker.distribution.manifest.v2+json",
	} {
		if got, err := ManifestType(in); err != nil || got != want {
			t.Errorf("ManifestType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ManifestType("v2s1"); err == nil {
		t.Error("ManifestType(v2s1) accepted")
	}
}
