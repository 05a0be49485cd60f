//go:build linux && amd64

package runtime

import (
	"os"
	"strings"
	"testing"
)

type profileCase struct {
	name, profile string
	nnp           bool
	caps          []string
	err           string
}

func TestCompileSeccompProfile(t *testing.T) {
	podman, _ := os.ReadFile("/usr/share/containers/seccomp.json")
	tests := []profileCase{
		{name: "deny list", profile: `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}`},
		{name: "log", profile: `{"defaultAction": "SCMP_ACT_LOG"}`},
		{name: "deny all", profile: `{"defaultAction": "SCMP_ACT_ERRNO"}`,
			err: "it refuses prctl, capset, setgroups, setresgid, setresuid, execve, write, exit_group, futex, rt_sigreturn, which rpod needs"},
		{name: "kill execve", profile: `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_KILL"}]}`, err: "it refuses execve,"},
		{name: "no_new_privs refused", nnp: true, err: "it refuses prctl,",
			profile: `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["prctl"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]}]}`},
		{name: "no_new_privs refused but not asked", nnp: false,
			profile: `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["prctl"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]}]}`},
		{name: "bad caps", profile: `{"defaultAction": "SCMP_ACT_ALLOW"}`, caps: []string{"CAP_NOPE"}, err: "CAP_NOPE"},
		{name: "malformed", profile: `{`, err: "invalid JSON"},
	}
	if podman != nil {
		tests = append(tests,
			profileCase{name: "podman", profile: string(podman)},
			profileCase{name: "podman, all caps, nnp", profile: string(podman), caps: []string{"ALL"}, nnp: true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileSeccompProfile(&Spec{SeccompProfile: tt.profile, NoNewPrivileges: tt.nnp, Caps: tt.caps, Seccomp: true})
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}
