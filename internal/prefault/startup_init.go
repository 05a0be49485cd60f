//go:build rpodinit

package prefault

// startupHeap is about what the container's init step allocates before it
// execs the command (cmd/rpod-init).
const startupHeap = 1 << 20
