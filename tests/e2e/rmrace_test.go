package e2e

import (
	"strings"
	"testing"
)

// TestRmForceOfRunRm: rm -f of a running run -d --rm container ends it and
// removes it once, whichever of rm and the container's monitor gets there
// first: no error, nothing left.
func TestRmForceOfRunRm(t *testing.T) {
	env := newWorld(t)
	for i := 0; i < 3; i++ {
		ok(t, env, "run", "-d", "--rm", "--name", "rmrace", "busybox", "sleep", "1000")
		ok(t, env, "rm", "-f", "rmrace")
		if out := ok(t, env, "ps", "-a", "--format", "{{.Names}}"); strings.Contains(out, "rmrace") {
			t.Fatalf("rm -f left %q", out)
		}
	}
}
