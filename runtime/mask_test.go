package runtime

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rpod/rpod/runtime/caps"
)

func TestMaskedPaths(t *testing.T) {
	tests := []struct {
		name          string
		mask, unmask  []string
		masked, ro    []string // nil: the defaults
		notMasked, rw []string
		extraMasked   []string
	}{
		{name: "defaults"},
		{name: "mask adds", mask: []string{"/etc/shadow", "/var/lib/"}, extraMasked: []string{"/etc/shadow", "/var/lib"}},
		{name: "mask of a default path is not doubled", mask: []string{"/proc/kcore"}},
		{name: "unmask one", unmask: []string{"/proc/kcore"}, notMasked: []string{"/proc/kcore"}},
		{name: "unmask a read-only path", unmask: []string{"/proc/sys"}, rw: []string{"/proc/sys"}},
		{name: "unmask pattern", unmask: []string{"/proc/*"}, masked: []string{"/sys/firmware", "/sys/fs/selinux", "/sys/dev/block", "/sys/devices/virtual/powercap"}, ro: []string{}},
		{name: "unmask patterns and paths", unmask: []string{"/sys/*/*", "/proc/sys", "/proc/k*"}, notMasked: []string{"/proc/kcore", "/proc/keys", "/sys/fs/selinux", "/sys/dev/block"}, rw: []string{"/proc/sys"}},
		{name: "unmask ALL", unmask: []string{"ALL"}, masked: []string{}, ro: []string{}},
		{name: "unmask ALL keeps user masks", mask: []string{"/secret"}, unmask: []string{"ALL"}, masked: []string{"/secret"}, ro: []string{}},
		{name: "unmask of an unknown path", unmask: []string{"/nonexistent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ro := MaskedPaths(tt.mask, tt.unmask)
			if tt.masked != nil && !slices.Equal(m, tt.masked) && !(len(m) == 0 && len(tt.masked) == 0) {
				t.Errorf("masked %v, want %v", m, tt.masked)
			}
			if tt.ro != nil && !slices.Equal(ro, tt.ro) && !(len(ro) == 0 && len(tt.ro) == 0) {
				t.Errorf("read-only %v, want %v", ro, tt.ro)
			}
			if tt.masked == nil {
				for _, p := range maskedPaths {
					if slices.Contains(tt.notMasked, p) == slices.Contains(m, p) {
						t.Errorf("%s masked: %v", p, slices.Contains(m, p))
					}
				}
				if len(m) != len(maskedPaths)-len(tt.notMasked)+len(tt.extraMasked) {
					t.Errorf("masked %v", m)
				}
				for _, p := range tt.extraMasked {
					if !slices.Contains(m, p) {
						t.Errorf("%s not masked", p)
					}
				}
			}
			if tt.ro == nil {
				for _, p := range readonlyPaths {
					if slices.Contains(tt.rw, p) == slices.Contains(ro, p) {
						t.Errorf("%s read-only: %v", p, slices.Contains(ro, p))
					}
				}
			}
		})
	}
	// The defaults are not changed by a call.
	MaskedPaths([]string{"/x"}, nil)
	if slices.Contains(maskedPaths, "/x") {
		t.Error("MaskedPaths changed the defaults")
	}
}

// TestSecurityDocPaths fails when docs/security.md and the masked paths,
// read-only paths or default capabilities disagree.
func TestSecurityDocPaths(t *testing.T) {
	b, err := os.ReadFile("../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, tt := range []struct {
		block string
		want  []string
	}{{"masked-paths", maskedPaths}, {"readonly-paths", readonlyPaths}, {"default-caps", caps.Default}} {
		_, rest, ok := strings.Cut(doc, "<!-- BEGIN "+tt.block+" -->\n")
		block, _, ok2 := strings.Cut(rest, "<!-- END "+tt.block+" -->")
		if !ok || !ok2 {
			t.Errorf("docs/security.md lacks the %s block", tt.block)
			continue
		}
		var got []string
		for _, m := range regexp.MustCompile("(?m)^- `([^`]+)`$").FindAllStringSubmatch(block, -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("docs/security.md %s: %v, want %v", tt.block, got, tt.want)
		}
	}
}
