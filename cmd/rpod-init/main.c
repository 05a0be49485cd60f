// rpod-init is a container's init step and rpod exec's step alone, as a
// small static program (runtime/step): make build appends it to rpod, which
// runs it from a sealed memfd for each container it starts.
#include "step.h"

int main(int argc, char **argv) { return rpod_step_main(argc, argv); }
