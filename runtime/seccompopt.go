package runtime

import (
	"fmt"

	"github.com/rpod/rpod/runtime/seccomp"
)

// installSeccomp installs the spec's filter: the default, or none.
func installSeccomp(s *Spec) error {
	if !s.Seccomp {
		return nil
	}
	if err := seccomp.Install(); err != nil {
		return fmt.Errorf("install seccomp filter: %w", err)
	}
	return nil
}
