// Command rpod-init is the init step of a container alone: package runtime
// built with the rpodinit tag, so that starting it costs what a small static
// Go program costs rather than all of rpod's package initialisation. rpod
// exec's step inside a running container runs it too (userns/exec.c).
package main

import (
	"os"

	_ "github.com/rpod/rpod/internal/prefault"
	"github.com/rpod/rpod/runtime"
)

func main() {
	if runtime.IsExec(os.Args) {
		runtime.ExecMain()
	}
	runtime.InitMain()
}
