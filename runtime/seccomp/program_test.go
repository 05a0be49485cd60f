//go:build linux

package seccomp

import (
	"testing"

	"golang.org/x/sys/unix"
)

// checkProgram verifies what the kernel's checker (and ours) would: a length
// of 1..4096, only the instructions seccomp accepts from this package, loads
// of aligned words inside struct seccomp_data, every jump inside the
// program, and a RET at the end.
func checkProgram(t *testing.T, prog []unix.SockFilter) {
	t.Helper()
	if len(prog) == 0 || len(prog) > bpfMaxInsnsAllArches {
		t.Fatalf("program length %d", len(prog))
	}
	for i, in := range prog {
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K%4 != 0 || in.K > 60 {
				t.Fatalf("instruction %d loads offset %d", i, in.K)
			}
		case unix.BPF_JMP | unix.BPF_JA:
			if i+1+int(in.K) >= len(prog) {
				t.Fatalf("instruction %d: JA %d leaves the program", i, in.K)
			}
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K,
			unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			if i+1+int(max(in.Jt, in.Jf)) >= len(prog) {
				t.Fatalf("instruction %d: jump %d/%d leaves the program", i, in.Jt, in.Jf)
			}
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, unix.BPF_RET | unix.BPF_K:
		default:
			t.Fatalf("instruction %d: unexpected code %#x", i, in.Code)
		}
	}
	if prog[len(prog)-1].Code != unix.BPF_RET|unix.BPF_K {
		t.Fatal("last instruction is not RET")
	}
}

// bpfMaxInsnsAllArches is the kernel's BPF_MAXINSNS.
const bpfMaxInsnsAllArches = 4096
