// Command rpod-init is the init step of a container alone: package runtime
// built with the rpodinit tag, so that starting it costs what a small static
// Go program costs rather than all of rpod's package initialisation.
package main

import "github.com/rpod/rpod/runtime"

func main() { runtime.InitMain() }
