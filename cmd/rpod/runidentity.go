package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/runtime"
)

// identityFlags are run and create's --userns, --group-add and --init flags.
type identityFlags struct {
	usernsMode string
	groupAdd   []string
	initProc   bool
	initPath   string
}

func (f *identityFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.usernsMode, "userns", "", "user namespace: host (default), keep-id[:uid=UID,gid=GID] or nomap")
	stringArrayVar(fl, &f.groupAdd, "group-add", "", "add a supplementary group: a name in the container's /etc/group, or a GID")
	fl.BoolVar(&f.initProc, "init", false, "run an init (catatonit) as pid 1 that forwards signals and reaps zombies")
	fl.StringVar(&f.initPath, "init-path", "", "the init binary for --init (default: catatonit or tini-static from the host)")
}

// applyIdentity applies --userns, --group-add and --init to the spec.
func (f *runFlags) applyIdentity(spec *runtime.Spec) error {
	ns, err := runtime.ParseUserNS(f.usernsMode)
	if err != nil {
		return err
	}
	spec.UserNS = ns
	if ns.Mode == runtime.UserNSKeepID && f.user == "" {
		// As podman: the process is the user, whatever the image's USER says.
		uid, gid, err := ns.KeepIDUser()
		if err != nil {
			return err
		}
		spec.User = fmt.Sprintf("%d:%d", uid, gid)
	}
	for _, g := range f.groupAdd {
		if err := runtime.CheckGroupAdd(g); err != nil {
			return err
		}
	}
	spec.GroupAdd = append([]string{}, f.groupAdd...)
	if !f.initProc {
		// As podman, --init-path alone changes nothing.
		return nil
	}
	path := f.initPath
	if path == "" {
		path, err = runtime.FindInit()
	} else {
		path, err = runtime.CheckInit(path)
	}
	if err != nil {
		return err
	}
	spec.Init, spec.InitPath = true, path
	return nil
}
