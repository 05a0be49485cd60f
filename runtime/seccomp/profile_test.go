//go:build linux

package seccomp

import (
	"strings"
	"testing"
)

func TestParseProfile(t *testing.T) {
	tests := []struct {
		name, json string
		err        string // substring; "" means valid
	}{
		{"minimal", `{"defaultAction": "SCMP_ACT_ALLOW"}`, ""},
		{"errno default", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}`, ""},
		{"every action", `{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [
			{"names": ["a"], "action": "SCMP_ACT_ALLOW"}, {"names": ["b"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0},
			{"names": ["c"], "action": "SCMP_ACT_KILL"}, {"names": ["d"], "action": "SCMP_ACT_KILL_THREAD"},
			{"names": ["e"], "action": "SCMP_ACT_KILL_PROCESS"}, {"names": ["f"], "action": "SCMP_ACT_TRAP"},
			{"names": ["g"], "action": "SCMP_ACT_LOG"}, {"names": ["h"], "action": "SCMP_ACT_TRACE", "errnoRet": 1}]}`, ""},
		{"every op", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [
			{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_NE"},
			{"index": 2, "value": 1, "op": "SCMP_CMP_LT"}, {"index": 3, "value": 1, "op": "SCMP_CMP_LE"},
			{"index": 4, "value": 1, "op": "SCMP_CMP_GT"}, {"index": 5, "value": 1, "op": "SCMP_CMP_GE"},
			{"index": 5, "value": 255, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]}]}`, ""},
		{"old single name", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "mkdir", "action": "SCMP_ACT_ERRNO"}]}`, ""},
		{"arches and archMap", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
			"archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}]}`, ""},
		{"includes excludes", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO",
			"includes": {"minKernel": "4.8", "arches": ["amd64"]}, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]}`, ""},
		{"unknown fields ignored", `{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrno": "EPERM", "comment": "x",
			"syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "comment": "", "errno": "EPERM"}]}`, ""},
		{"flags", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"]}`, ""},
		{"null args and empty filters", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": null, "includes": {}, "excludes": {}}]}`, ""},

		{"empty", ``, "the file is empty"},
		{"truncated", `{"defaultAction": "SCMP_ACT_ALLOW",`, "ends in the middle"},
		{"syntax", "{\n\"defaultAction\" \"SCMP_ACT_ALLOW\"}", "invalid JSON at line 2, column 17"},
		{"trailing data", `{"defaultAction": "SCMP_ACT_ALLOW"} {}`, "more data after"},
		{"not an object", `[]`, "invalid JSON"},
		{"wrong type", `{"defaultAction": 1}`, "invalid JSON"},
		{"no default", `{"syscalls": []}`, "defaultAction is missing"},
		{"bad default", `{"defaultAction": "ALLOW"}`, `defaultAction: unknown action "ALLOW"`},
		{"notify", `{"defaultAction": "SCMP_ACT_NOTIFY"}`, "needs a seccomp agent"},
		{"errno too big", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000}`, "defaultErrnoRet: 70000 is out of range"},
		{"negative errno", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1}`, "invalid JSON"},
		{"bad arch", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]}`, `unknown architecture "x86_64"`},
		{"bad subarch", `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["i386"]}]}`, `archMap: unknown architecture "i386"`},
		{"bad flag", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["FAST"]}`, `unknown flag "FAST"`},
		{"no names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}`, "syscalls[0]: no system call names"},
		{"empty name", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [""], "action": "SCMP_ACT_ALLOW"}]}`, "empty system call name"},
		{"no action", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"]}]}`, "syscalls[0]: action is missing"},
		{"bad action", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW"}, {"names": ["a"], "action": "deny"}]}`, `syscalls[1]: action: unknown action "deny"`},
		{"bad index", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`, "args[0]: index 6 out of range"},
		{"bad op", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "EQ"}]}]}`, `unknown op "EQ"`},
		{"no op", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0}]}]}`, `unknown op ""`},
		{"value too big", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}]}`, "invalid JSON"},
		{"bad minKernel", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}]}`, "includes.minKernel"},
		{"bad rule errno", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4096}]}`, "errnoRet: 4096 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseProfile([]byte(tt.json))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.err != "" && err == nil:
				t.Fatalf("accepted, want error %q: %+v", tt.err, p)
			case tt.err != "" && !strings.Contains(err.Error(), tt.err):
				t.Fatalf("error %q, want %q", err, tt.err)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestParseKernelVersion(t *testing.T) {
	for in, want := range map[string]KernelVersion{
		"4.8": {4, 8}, "6.1.0-13-amd64": {6, 1}, "5.15": {5, 15}, "3.10.0-1160.el7.x86_64": {3, 10}, "6.10-rc1": {6, 10},
	} {
		if got, err := ParseKernelVersion(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "4", "a.b", "4.", ".8", "-1.2", "4.x"} {
		if v, err := ParseKernelVersion(in); err == nil {
			t.Errorf("%q accepted as %v", in, v)
		}
	}
	if !(KernelVersion{4, 8}).Less(KernelVersion{4, 9}) || !(KernelVersion{4, 20}).Less(KernelVersion{5, 0}) || (KernelVersion{5, 0}).Less(KernelVersion{5, 0}) {
		t.Error("Less")
	}
}

// FuzzParseProfile: any input is parsed without panicking, and a profile
// that parses compiles (or is refused) without panicking; a compiled
// program keeps to the kernel's limits.
func FuzzParseProfile(f *testing.F) {
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names": ["read", "write", "nosuch"], "action": "SCMP_ACT_ALLOW"}]}`))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 4294967296, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "bpf", "action": "SCMP_ACT_TRACE", "includes": {"caps": ["CAP_SYS_ADMIN"], "minKernel": "4.8"}}]}`))
	f.Add([]byte(`{"defaultAction": 1}`))
	f.Add([]byte("{\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		prog, err := p.Compile(Env{Caps: []string{"CAP_CHOWN"}, Kernel: KernelVersion{6, 1}})
		if err != nil {
			return
		}
		checkProgram(t, prog.Insns)
	})
}
