// Package step is a container's init step and rpod exec's step, in C: the
// code that runs inside a container's new namespaces before its command.
// It reads the spec rpod sends (runtime.encodeSpec), builds the container's
// root (init) or enters it (exec), drops to the command's credentials and
// execs the command, or sends rpod why it could not.
//
// It is C because it runs for every container and every exec: as a small
// static program (make build appends it to rpod, cmd/rpod-init) it starts
// in a fraction of a Go program's time, most of which is the runtime's own
// start on a machine where each page fault is dear (bench/README.md,
// session 13). rpod links it in too, for when it has no appended step or
// the kernel refuses to run it from memory: a re-executed rpod runs it
// from a constructor, before the Go runtime starts, and rpod exec's child
// runs it after joining the container (userns/exec.c).
package step

/*
#cgo CFLAGS: -Wall -Wno-format-truncation
#include <string.h>
#include "step.h"

// A re-executed rpod whose first argument is the init step's runs the step
// before anything else, userns's constructor included.
__attribute__((constructor(101))) static void rpod_step_init(int argc, char **argv, char **envp) {
	(void)envp;
	if (argc > 1 && strcmp(argv[1], STEP_INIT_ARG) == 0)
		rpod_step_main(argc, argv);
}
*/
import "C"
