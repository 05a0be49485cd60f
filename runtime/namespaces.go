package runtime

// namespaceFlags are the clone flags of the container's new namespaces:
// all of cloneFlags but those --pid/--ipc/--uts=host share.
func namespaceFlags(s *Spec) uintptr { return cloneFlags }
