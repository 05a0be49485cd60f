package prefault

// startupHeap is about what any rpod process allocates before its command
// runs: the package inits alone take 1.5 MB.
const startupHeap = 2 << 20
