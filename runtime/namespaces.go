package runtime

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// namespaceFlags are the clone flags of the container's new namespaces:
// all of cloneFlags but those --pid/--ipc/--uts=host share, and the
// network namespace with --network host or one to join (container:, ns:).
func namespaceFlags(s *Spec) uintptr {
	flags := uintptr(cloneFlags)
	if s.HostNet || s.NetNS != "" {
		flags &^= unix.CLONE_NEWNET
	}
	if s.HostPID {
		flags &^= unix.CLONE_NEWPID
	}
	if s.HostIPC {
		flags &^= unix.CLONE_NEWIPC
	}
	if s.HostUTS {
		flags &^= unix.CLONE_NEWUTS
	}
	if s.HostCgroupNS {
		flags &^= unix.CLONE_NEWCGROUP
	}
	return flags
}

// ParseNamespaceMode parses --pid, --ipc or --uts (named by flag): host
// shares the host's namespace; private (or nothing) gives the container
// its own.
func ParseNamespaceMode(flag, mode string) (host bool, err error) {
	switch {
	case mode == "" || mode == "private":
		return false, nil
	case mode == "host":
		return true, nil
	case strings.HasPrefix(mode, "container:"), strings.HasPrefix(mode, "ns:"):
		return false, fmt.Errorf("--%s=%s is not supported by rpod: use host or private", flag, mode)
	default:
		return false, fmt.Errorf("invalid --%s %q: use host or private", flag, mode)
	}
}
