package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/runtime/caps"
	"github.com/rpod/rpod/runtime/seccomp"
)

// securityFlags are run and create's capability and confinement flags.
type securityFlags struct {
	capAdd, capDrop []string
	privileged      bool
	securityOpts    []string
}

func (f *securityFlags) add(fl *pflag.FlagSet) {
	stringArrayVar(fl, &f.capAdd, "cap-add", "", "add a capability (NAME, or ALL) to podman's default set")
	stringArrayVar(fl, &f.capDrop, "cap-drop", "", "drop a capability (NAME, or ALL) from podman's default set")
	fl.BoolVar(&f.privileged, "privileged", false, "every capability of rpod's user namespace, no seccomp filter and no masked paths (still no more than the user has on the host)")
	stringArrayVar(fl, &f.securityOpts, "security-opt", "", "no-new-privileges, seccomp=unconfined|PROFILE.json, mask=/p1:/p2, unmask=ALL|/p1:/p2, "+
		"systempaths=unconfined; label=... and apparmor=unconfined are accepted and ignored (rpod applies no SELinux or AppArmor)")
}

// applySecurity applies --cap-add, --cap-drop, --privileged and
// --security-opt to the spec, as podman does.
func (f *runFlags) applySecurity(spec *runtime.Spec) error {
	set := map[int]bool{}
	for _, n := range caps.Default {
		c, _ := caps.Parse(n)
		set[c[0]] = true
	}
	for _, n := range f.capDrop {
		cs, err := caps.Parse(n)
		if err != nil {
			return fmt.Errorf("--cap-drop: %w", err)
		}
		for _, c := range cs {
			delete(set, c)
		}
	}
	for _, n := range f.capAdd {
		cs, err := caps.Parse(n)
		if err != nil {
			return fmt.Errorf("--cap-add: %w", err)
		}
		for _, c := range cs {
			set[c] = true
		}
	}
	if len(f.capAdd) > 0 || len(f.capDrop) > 0 {
		var nums []int
		for c := range set {
			nums = append(nums, c)
		}
		spec.Caps = append([]string{}, caps.Names(nums)...)
	}
	if f.privileged {
		spec.Caps, spec.Seccomp = []string{"ALL"}, false
		// podman's --privileged masks nothing and leaves /proc/sys writable.
		spec.UnmaskPaths = append(spec.UnmaskPaths, "ALL")
	}
	profile := ""
	for _, o := range f.securityOpts {
		if err := applySecurityOpt(spec, o, f.privileged); err != nil {
			return err
		}
		if key, val, _ := splitOpt(o); key == "seccomp" {
			profile = val
		}
	}
	// Once every option is in: the check depends on the capabilities and
	// on no-new-privileges.
	if spec.Seccomp && spec.SeccompProfile != "" {
		if _, err := runtime.CompileSeccompProfile(spec); err != nil {
			return fmt.Errorf("seccomp profile %s: %w", profile, err)
		}
	}
	return nil
}

// splitOpt splits "key=value", or podman's older "key:value".
func splitOpt(o string) (key, val string, hasVal bool) {
	key, val, hasVal = strings.Cut(o, "=")
	if !hasVal {
		key, val, hasVal = strings.Cut(o, ":")
	}
	return key, val, hasVal
}

// securityOptHelp lists what --security-opt takes, for error messages.
const securityOptHelp = "rpod takes no-new-privileges[=true|false], seccomp=unconfined, seccomp=PROFILE.json, " +
	"mask=/path[:/path...], unmask=ALL|/path[:/path...], systempaths=unconfined, label=... and apparmor=unconfined"

// applySecurityOpt applies one --security-opt as podman does; the old
// "key:value" spelling is accepted too.
func applySecurityOpt(spec *runtime.Spec, o string, privileged bool) error {
	key, val, hasVal := splitOpt(o)
	switch {
	case key == "no-new-privileges" && (!hasVal || val == "true"):
		spec.NoNewPrivileges = true
	case key == "no-new-privileges" && val == "false":
		spec.NoNewPrivileges = false
	case key == "seccomp" && val == "unconfined":
		spec.Seccomp, spec.SeccompProfile = false, ""
	case key == "seccomp" && val != "":
		data, err := readSeccompProfile(val)
		if err != nil {
			return err
		}
		// --privileged runs without a filter, as in podman and Docker.
		spec.Seccomp, spec.SeccompProfile = !privileged, data
	case key == "mask" && val != "":
		paths, err := securityPaths(o, val, false)
		if err != nil {
			return err
		}
		spec.MaskPaths = append(spec.MaskPaths, paths...)
	case key == "unmask" && val != "":
		paths, err := securityPaths(o, val, true)
		if err != nil {
			return err
		}
		spec.UnmaskPaths = append(spec.UnmaskPaths, paths...)
	case key == "systempaths" && val == "unconfined":
		spec.UnmaskPaths = append(spec.UnmaskPaths, "ALL")
	case key == "label" && val != "":
		// No SELinux: nothing to label, nothing to disable.
	case key == "apparmor" && val == "unconfined":
		// No AppArmor profile is applied in the first place.
	default:
		return fmt.Errorf("unsupported --security-opt %q: %s", o, securityOptHelp)
	}
	return nil
}

// maxProfileSize bounds what rpod reads as a profile; podman's own
// default profile is 16 KiB.
const maxProfileSize = 4 << 20

// readSeccompProfile reads and checks a profile file, naming the file in
// any error.
func readSeccompProfile(path string) (string, error) {
	data, err := readProfileFile(path)
	if err == nil {
		_, err = seccomp.ParseProfile(data)
	}
	if err != nil {
		return "", fmt.Errorf("seccomp profile %s: %w", path, err)
	}
	return string(data), nil
}

func readProfileFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxProfileSize+1))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	if len(data) > maxProfileSize {
		return nil, fmt.Errorf("larger than %d MiB", maxProfileSize>>20)
	}
	return data, nil
}

// securityPaths splits mask= and unmask= lists; unmask also takes ALL and
// shell patterns (/proc/*).
func securityPaths(opt, val string, unmask bool) ([]string, error) {
	var out []string
	for _, p := range strings.Split(val, ":") {
		switch {
		case unmask && p == "ALL":
		case p == "" || !strings.HasPrefix(p, "/"):
			return nil, fmt.Errorf("invalid --security-opt %q: %q is not an absolute path", opt, p)
		case unmask:
			if _, err := filepath.Match(p, "/"); err != nil {
				return nil, fmt.Errorf("invalid --security-opt %q: bad pattern %q", opt, p)
			}
		}
		out = append(out, p)
	}
	return out, nil
}
