package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rpod/rpod/runtime"
)

func TestApplySecurityOpts(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",`), 0o644)
	goodData, _ := os.ReadFile(good)
	nnp := filepath.Join(dir, "nnp.json")
	nnpData := []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["prctl"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 38, "op": "SCMP_CMP_EQ"}]}]}`)
	os.WriteFile(nnp, nnpData, 0o644)

	base := runtime.Spec{Seccomp: true}
	for _, tt := range []struct {
		name       string
		opts       []string
		privileged bool
		want       runtime.Spec
		err        string
	}{
		{name: "none", want: base},
		{name: "no-new-privileges", opts: []string{"no-new-privileges"}, want: runtime.Spec{Seccomp: true, NoNewPrivileges: true}},
		{name: "no-new-privileges:true", opts: []string{"no-new-privileges:true"}, want: runtime.Spec{Seccomp: true, NoNewPrivileges: true}},
		{name: "no-new-privileges=false", opts: []string{"no-new-privileges", "no-new-privileges=false"}, want: base},
		{name: "seccomp=unconfined", opts: []string{"seccomp=unconfined"}, want: runtime.Spec{}},
		{name: "seccomp:unconfined", opts: []string{"seccomp:unconfined"}, want: runtime.Spec{}},
		{name: "seccomp profile", opts: []string{"seccomp=" + good}, want: runtime.Spec{Seccomp: true, SeccompProfile: string(goodData)}},
		{name: "profile then unconfined", opts: []string{"seccomp=" + good, "seccomp=unconfined"}, want: runtime.Spec{}},
		{name: "unconfined then profile", opts: []string{"seccomp=unconfined", "seccomp=" + good}, want: runtime.Spec{Seccomp: true, SeccompProfile: string(goodData)}},
		{name: "privileged profile", opts: []string{"seccomp=" + good}, privileged: true, want: runtime.Spec{Caps: []string{"ALL"}, SeccompProfile: string(goodData), UnmaskPaths: []string{"ALL"}}},
		{name: "privileged", privileged: true, want: runtime.Spec{Caps: []string{"ALL"}, UnmaskPaths: []string{"ALL"}}},
		{name: "mask", opts: []string{"mask=/a:/b/c", "mask=/d"}, want: runtime.Spec{Seccomp: true, MaskPaths: []string{"/a", "/b/c", "/d"}}},
		{name: "unmask", opts: []string{"unmask=/proc/*:/sys/firmware"}, want: runtime.Spec{Seccomp: true, UnmaskPaths: []string{"/proc/*", "/sys/firmware"}}},
		{name: "unmask ALL", opts: []string{"unmask=ALL"}, want: runtime.Spec{Seccomp: true, UnmaskPaths: []string{"ALL"}}},
		{name: "systempaths", opts: []string{"systempaths=unconfined"}, want: runtime.Spec{Seccomp: true, UnmaskPaths: []string{"ALL"}}},
		{name: "label and apparmor", opts: []string{"label=disable", "label=type:spc_t", "label:level:s0", "apparmor=unconfined"}, want: base},

		{name: "profile refusing no_new_privs", opts: []string{"seccomp=" + nnp, "no-new-privileges"}, err: "seccomp profile " + nnp + ": it refuses prctl"},
		{name: "profile refusing no_new_privs, unused", opts: []string{"seccomp=" + nnp}, want: runtime.Spec{Seccomp: true, SeccompProfile: string(nnpData)}},
		{name: "missing profile", opts: []string{"seccomp=" + dir + "/nope.json"}, err: "seccomp profile " + dir + "/nope.json: no such file or directory"},
		{name: "directory profile", opts: []string{"seccomp=" + dir}, err: "seccomp profile " + dir + ": not a regular file"},
		{name: "device profile", opts: []string{"seccomp=/dev/zero"}, err: "seccomp profile /dev/zero: not a regular file"},
		{name: "bad profile", opts: []string{"seccomp=" + bad}, err: "seccomp profile " + bad + ": invalid JSON"},
		{name: "empty seccomp", opts: []string{"seccomp="}, err: "unsupported --security-opt"},
		{name: "relative mask", opts: []string{"mask=proc/x"}, err: `"proc/x" is not an absolute path`},
		{name: "empty mask element", opts: []string{"mask=/a::/b"}, err: `"" is not an absolute path`},
		{name: "mask ALL", opts: []string{"mask=ALL"}, err: "not an absolute path"},
		{name: "bad pattern", opts: []string{"unmask=/proc/["}, err: "bad pattern"},
		{name: "apparmor profile", opts: []string{"apparmor=docker-default"}, err: `unsupported --security-opt "apparmor=docker-default": rpod takes`},
		{name: "label empty", opts: []string{"label="}, err: "unsupported"},
		{name: "nnp value", opts: []string{"no-new-privileges=yes"}, err: "unsupported"},
		{name: "unknown", opts: []string{"proc-opts=x"}, err: "unsupported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &runFlags{}
			f.securityOpts, f.privileged = tt.opts, tt.privileged
			spec := runtime.Spec{Seccomp: true}
			err := f.applySecurity(&spec)
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error spans lines: %q", err)
				}
			case err != nil:
				t.Fatal(err)
			case !reflect.DeepEqual(spec, tt.want):
				t.Fatalf("spec %+v, want %+v", spec, tt.want)
			}
		})
	}
}

// FuzzSecurityOpt: any option value is applied or refused with a one-line
// error, without panicking.
func FuzzSecurityOpt(f *testing.F) {
	for _, s := range []string{"no-new-privileges", "seccomp=unconfined", "mask=/a:/b", "unmask=ALL", "unmask=/proc/*", "label=disable", "apparmor=unconfined", "seccomp:/nonexistent", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, opt string) {
		if strings.HasPrefix(opt, "seccomp") && !strings.HasSuffix(opt, "unconfined") {
			return // would read whatever file the fuzzer names
		}
		spec := runtime.Spec{Seccomp: true}
		if err := applySecurityOpt(&spec, opt, false); err != nil && strings.Contains(err.Error(), "\n") && !strings.Contains(opt, "\n") {
			t.Fatalf("error spans lines: %q", err)
		}
		for _, p := range append(spec.MaskPaths, spec.UnmaskPaths...) {
			if p != "ALL" && !strings.HasPrefix(p, "/") {
				t.Fatalf("%q accepted the relative path %q", opt, p)
			}
		}
	})
}
