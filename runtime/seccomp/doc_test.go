//go:build linux && amd64

package seccomp

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// securityDoc is the user documentation of the default confinement.
const securityDoc = "../../docs/security.md"

// docBlock returns the lines between <!-- BEGIN name --> and <!-- END name -->.
func docBlock(t *testing.T, doc, name string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "<!-- BEGIN "+name+" -->\n")
	if !ok {
		t.Fatalf("%s has no <!-- BEGIN %s --> marker", securityDoc, name)
	}
	block, _, ok := strings.Cut(rest, "<!-- END "+name+" -->")
	if !ok {
		t.Fatalf("%s has no <!-- END %s --> marker", securityDoc, name)
	}
	return block
}

// blockedDoc is the list docs/security.md must carry: one line per system
// call of Blocked, sorted, and the errno it gets.
func blockedDoc() string {
	names := slices.Clone(Blocked)
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		errno := "EPERM"
		if n == "clone3" {
			errno = "ENOSYS (so that C libraries fall back to clone, whose flags the filter can check)"
		}
		b.WriteString("- `" + n + "`: " + errno + "\n")
	}
	return b.String()
}

// TestSecurityDocBlocked fails when docs/security.md and the default
// filter's list of blocked (and restricted) system calls disagree.
func TestSecurityDocBlocked(t *testing.T) {
	b, err := os.ReadFile(securityDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if got, want := docBlock(t, doc, "blocked-syscalls"), blockedDoc(); got != want {
		t.Errorf("the blocked system calls in %s differ from seccomp.Blocked; the block should read:\n%s", securityDoc, want)
	}
	restricted := docBlock(t, doc, "restricted-syscalls")
	var named []string
	for _, m := range regexp.MustCompile("(?m)^- `([a-z0-9_]+)`").FindAllStringSubmatch(restricted, -1) {
		named = append(named, m[1])
	}
	if !slices.Equal(named, Restricted) {
		t.Errorf("restricted system calls in %s: %v, want %v", securityDoc, named, Restricted)
	}
}
