package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/internal/proc"
	"github.com/rpod/rpod/runtime"
	"github.com/rpod/rpod/storage"
	"github.com/rpod/rpod/userns"
	"github.com/rpod/rpod/volume"
)

type runFlags struct {
	rm, interactive, tty bool
	detach               bool
	env                  []string
	workdir, user        string
	entrypoint           string
	entrypointSet        bool
	hostname, name       string
	volumes, mounts      []string
	tmpfs                []string
	readOnly             bool
	readOnlyTmpfs        bool
	envFiles             []string
	labels, labelFiles   []string
	annotations          []string
	stopSignal           string
	pull                 string
	replace              bool
	securityFlags        // security.go
	limitFlags           // runlimits.go
	identityFlags        // runidentity.go
	lifecycleFlags       // runlifecycle.go
	logFlags             // runlog.go
	netFlags             // runnet.go
	portFlags            // runports.go
	healthFlags          // runhealth.go
	unitFlags            // sdnotify.go: --cidfile, --sdnotify
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Run a command in a new container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.entrypointSet = cmd.Flags().Changed("entrypoint")
			return runContainer(cmd, &f, args[0], args[1:])
		},
	}
	addContainerFlags(cmd, &f)
	cmd.Flags().BoolVarP(&f.detach, "detach", "d", false, "run in the background and print the container id")
	return cmd
}

// addContainerFlags adds the flags run and create share.
func addContainerFlags(cmd *cobra.Command, f *runFlags) {
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.BoolVar(&f.rm, "rm", false, "remove the container when it exits")
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	stringArrayVar(fl, &f.env, "env", "e", "set environment variables (K=V, or K to copy it from rpod's environment)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&f.user, "user", "u", "", "user to run as: NAME|UID[:GROUP|GID]")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "override the image's ENTRYPOINT (a command, or a JSON array)")
	fl.StringVar(&f.hostname, "hostname", "", "container host name (default: the short container id)")
	fl.StringVar(&f.name, "name", "", "name the container")
	stringArrayVar(fl, &f.volumes, "volume", "v", "bind mount a host path or a named volume: SRC:DST[:ro|rw|z|Z|U]")
	stringArrayVar(fl, &f.mounts, "mount", "", "attach a mount: type=bind|volume|tmpfs,source=,destination=[,ro][,tmpfs-size=][,tmpfs-mode=]")
	stringArrayVar(fl, &f.tmpfs, "tmpfs", "", "mount a tmpfs: /DST[:OPTIONS]")
	fl.BoolVar(&f.readOnly, "read-only", false, "mount the container's root filesystem read-only")
	fl.BoolVar(&f.readOnlyTmpfs, "read-only-tmpfs", true, "with --read-only, mount writable tmpfs on /tmp, /run and /var/tmp")
	stringArrayVar(fl, &f.envFiles, "env-file", "", "read environment variables from a file of K=V lines")
	stringArrayVar(fl, &f.labels, "label", "l", "set a label on the container: K=V")
	stringArrayVar(fl, &f.labelFiles, "label-file", "", "read labels from a file of K=V lines")
	stringArrayVar(fl, &f.annotations, "annotation", "", "add an annotation to the container: K=V")
	fl.StringVar(&f.stopSignal, "stop-signal", "", "signal rpod stop sends first (default: the image's, else TERM)")
	fl.StringVar(&f.pull, "pull", "missing", "pull the image: always, missing, never or newer")
	fl.BoolVar(&f.replace, "replace", false, "remove a container of the same --name first")
	f.securityFlags.add(fl)
	f.limitFlags.add(fl)
	f.identityFlags.add(fl)
	f.lifecycleFlags.add(fl)
	f.logFlags.add(fl)
	f.netFlags.add(fl)
	f.portFlags.add(fl)
	f.healthFlags.add(fl)
	f.unitFlags.add(fl)
}

// splitCommand is the container's entrypoint and command: the image's,
// overridden by --entrypoint and the arguments after the image, as podman does.
func splitCommand(f *runFlags, ic image.Config, args []string) (ep, command []string, err error) {
	if f.entrypointSet {
		if strings.HasPrefix(strings.TrimSpace(f.entrypoint), "[") {
			if ep, err = parseJSONArray(f.entrypoint); err != nil {
				return nil, nil, fmt.Errorf("invalid --entrypoint %q: %w", f.entrypoint, err)
			}
		} else if f.entrypoint != "" {
			ep = []string{f.entrypoint}
		}
	} else {
		ep = ic.Entrypoint
	}
	command = args
	if len(command) == 0 && !f.entrypointSet {
		command = ic.Cmd
	}
	return ep, command, nil
}

// buildSpec merges the image config with the flags, as podman does.
func buildSpec(f *runFlags, ic image.Config, args []string) (runtime.Spec, error) {
	spec, err := flagSpec(f, args)
	if err != nil {
		return runtime.Spec{}, err
	}
	return withImage(spec, f, ic, args)
}

// flagSpec is the spec the flags alone make, checked: create builds it
// before a pull, and withImage adds the image's part, so that the profile
// compile, --init's search and the files the flags name are done once.
// Its Env holds the flags' variables only.
func flagSpec(f *runFlags, args []string) (runtime.Spec, error) {
	if _, _, err := splitCommand(f, image.Config{}, args); err != nil {
		return runtime.Spec{}, err
	}
	var env []string
	for _, file := range f.envFiles {
		kvs, err := readEnvFileFlag(file)
		if err != nil {
			return runtime.Spec{}, err
		}
		env = append(env, kvs...)
	}
	for _, e := range f.env {
		if !strings.Contains(e, "=") {
			v, ok := os.LookupEnv(e)
			if !ok {
				continue
			}
			e = e + "=" + v
		}
		if strings.HasPrefix(e, "=") {
			return runtime.Spec{}, fmt.Errorf("invalid environment variable %q: the name is empty", e)
		}
		env = append(env, e)
	}
	if f.workdir != "" && !strings.HasPrefix(f.workdir, "/") {
		return runtime.Spec{}, fmt.Errorf("invalid --workdir %q: it must be an absolute path", f.workdir)
	}
	mounts, err := userMounts(f)
	if err != nil {
		return runtime.Spec{}, err
	}
	spec := runtime.Spec{Env: env, Cwd: f.workdir, User: f.user, Hostname: f.hostname, Terminal: f.tty, Seccomp: true,
		Mounts: mounts, ReadOnly: f.readOnly}
	for _, apply := range []func(*runtime.Spec) error{f.applySecurity, f.applyLimits, f.applyIdentity, f.applyNet} {
		if err := apply(&spec); err != nil {
			return runtime.Spec{}, err
		}
	}
	if spec.HostUTS {
		spec.Hostname, _ = os.Hostname() // what the container sees, for inspect
	}
	return spec, nil
}

// withImage adds the image's command, environment, working directory and
// user to a flagSpec; the flags win.
func withImage(spec runtime.Spec, f *runFlags, ic image.Config, args []string) (runtime.Spec, error) {
	ep, command, err := splitCommand(f, ic, args)
	if err != nil {
		return runtime.Spec{}, err
	}
	spec.Args = append(append([]string{}, ep...), command...)
	env := []string{}
	if !hasKey(ic.Env, "PATH") {
		env = append(env, "PATH="+runtime.DefaultPath)
	}
	env = append(env, ic.Env...)
	env = append(env, "container=rpod")
	if f.tty {
		env = append(env, "TERM=xterm")
	}
	for _, kv := range spec.Env {
		env = setEnv(env, kv)
	}
	spec.Env = env
	spec.Cwd = cmp.Or(spec.Cwd, ic.WorkingDir)
	spec.User = cmp.Or(spec.User, ic.User) // --user, or --userns=keep-id's
	return spec, nil
}

// userMounts turns -v, --mount, --tmpfs and --read-only into the spec's
// mounts; named volumes keep type "volume" until createContainer finds them.
func userMounts(f *runFlags) ([]runtime.Mount, error) {
	var specs []volume.Spec
	for _, group := range []struct {
		args  []string
		parse func(string) (volume.Spec, error)
	}{{f.volumes, volume.ParseVolume}, {f.mounts, volume.ParseMount}, {f.tmpfs, volume.ParseTmpfs}} {
		for _, a := range group.args {
			s, err := group.parse(a)
			if err != nil {
				return nil, err
			}
			specs = append(specs, s)
		}
	}
	var out []runtime.Mount
	seen := map[string]bool{}
	for _, s := range specs {
		dst := filepath.Clean(s.Destination)
		if seen[dst] {
			return nil, fmt.Errorf("%s: duplicate mount destination: give each container path one mount", dst)
		}
		seen[dst] = true
		out = append(out, runtime.Mount{Type: s.Type, Source: s.Source, Destination: dst, ReadOnly: s.ReadOnly,
			Options: s.Flags, Data: s.Data, Chown: s.Chown})
	}
	if f.readOnly && f.readOnlyTmpfs {
		// podman's --read-only-tmpfs: the places programs expect to write.
		for _, t := range []struct{ dst, mode string }{{"/tmp", "1777"}, {"/var/tmp", "1777"}, {"/run", "755"}} {
			if !seen[t.dst] {
				out = append(out, runtime.Mount{Type: "tmpfs", Destination: t.dst, Options: []string{"nosuid", "nodev"}, Data: "mode=" + t.mode})
			}
		}
	}
	return out, nil
}

// userConfig collects the container's labels and annotations.
func userConfig(f *runFlags) (runtime.UserConfig, error) {
	var u runtime.UserConfig
	for _, file := range f.labelFiles {
		fh, err := os.Open(file)
		if err != nil {
			return u, fmt.Errorf("read --label-file: %w", err)
		}
		lines, err := parseKVLines(fh)
		fh.Close()
		if err != nil {
			return u, fmt.Errorf("read --label-file %s: %w", file, err)
		}
		for _, l := range lines {
			if u.Labels, err = addKV(u.Labels, l, "label"); err != nil {
				return u, fmt.Errorf("%s: %w", file, err)
			}
		}
	}
	var err error
	for _, l := range f.labels {
		if u.Labels, err = addKV(u.Labels, l, "label"); err != nil {
			return u, err
		}
	}
	for _, a := range f.annotations {
		if !strings.Contains(a, "=") {
			return u, fmt.Errorf("invalid annotation %q: use KEY=VALUE", a)
		}
		if u.Annotations, err = addKV(u.Annotations, a, "annotation"); err != nil {
			return u, err
		}
	}
	return u, nil
}

// addKV adds K=V (a bare K means an empty value, as podman's labels) to m.
func addKV(m map[string]string, kv, what string) (map[string]string, error) {
	k, v, _ := strings.Cut(kv, "=")
	if k == "" {
		return m, fmt.Errorf("invalid %s %q: the name is empty", what, kv)
	}
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m, nil
}

// parseKVLines reads a podman env or label file: one entry a line, blank
// lines and lines starting with # skipped, leading blanks trimmed.
func parseKVLines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		line = strings.TrimSuffix(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "=") {
			return nil, fmt.Errorf("line %d: invalid entry %q: the name is empty", n, line)
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// parseEnvFile reads --env-file content: K=V, or a bare K whose value is
// taken from rpod's environment (skipped when unset there).
func parseEnvFile(r io.Reader, lookup func(string) (string, bool)) ([]string, error) {
	lines, err := parseKVLines(r)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, l := range lines {
		if !strings.Contains(l, "=") {
			v, ok := lookup(l)
			if !ok {
				continue
			}
			l += "=" + v
		}
		out = append(out, l)
	}
	return out, nil
}

func readEnvFileFlag(file string) ([]string, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read --env-file: %w", err)
	}
	defer fh.Close()
	kvs, err := parseEnvFile(fh, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("read --env-file %s: %w", file, err)
	}
	return kvs, nil
}

func hasKey(env []string, k string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, k+"=") {
			return true
		}
	}
	return false
}

// setEnv replaces K's value or appends K=V.
func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// createContainer makes the container run and create describe.
// createContainer creates the container the flags describe; with prestart,
// it also starts the init step for it once the image is found (the
// returned Prestarted, nil when it could not: runContainer starts it then).
func createContainer(cmd *cobra.Command, f *runFlags, imageName string, args []string, prestart bool) (_ *runtime.Container, _ *runtime.Prestarted, err error) {
	// Bad flags are told before a pull that could take minutes; in the
	// user namespace, which some of them (--userns) read.
	if err := enter(); err != nil {
		return nil, nil, err
	}
	fspec, err := flagSpec(f, args)
	if err != nil {
		return nil, nil, err
	}
	if err := f.applyLifecycle(&runtime.Config{}); err != nil {
		return nil, nil, err
	}
	if err := f.applyCgroups(&runtime.Config{}); err != nil {
		return nil, nil, err
	}
	if _, err := parseLogFlags(f.logDriver, f.logOpts); err != nil {
		return nil, nil, err
	}
	if err := f.applyHealth(&runtime.Config{}); err != nil {
		return nil, nil, err
	}
	if err := f.checkUnitFlags(f.replace); err != nil {
		return nil, nil, err
	}
	if ncfg, err := f.networkConfig(image.Config{}); err != nil {
		return nil, nil, err
	} else if err := f.applyPorts(ncfg, image.Config{}); err != nil {
		return nil, nil, err
	}
	var started *runtime.Prestarted
	if prestart {
		// Its namespaces and start overlap the store's work below. Kept
		// apart from the results, which an error's return sets to nil
		// before this deferred Abort runs.
		started = runtime.Prestart(&fspec, runStdio(f)) // runtime/prestart.go
		defer func() {
			if err != nil {
				started.Abort()
			}
		}()
	}
	img, err := findImage(cmd, imageName, f.pull)
	if err != nil {
		return nil, nil, err
	}
	started.CatchSignals() // not during a pull: ^C stops that
	stopSignal := ""
	if f.stopSignal != "" {
		if _, err := runtime.ParseSignal(f.stopSignal); err != nil {
			return nil, nil, fmt.Errorf("--stop-signal: %w", err)
		}
		stopSignal = f.stopSignal
	}
	if f.replace {
		f.replaceCIDFile()
	}
	if f.replace && f.name != "" {
		if old, err := runtime.LoadForRemoval(g.store, f.name); err == nil {
			if err := old.Remove(true); err != nil {
				return nil, nil, fmt.Errorf("--replace: %w", err)
			}
		}
	}
	ic, err := image.ReadConfig(cmd.Context(), g.store, img)
	if err != nil {
		return nil, nil, err
	}
	spec, err := withImage(fspec, f, ic, args)
	if err != nil {
		return nil, nil, err
	}
	ncfg, err := f.networkConfig(ic)
	if err != nil {
		return nil, nil, err
	}
	if err := f.applyPorts(ncfg, ic); err != nil {
		return nil, nil, err
	}
	uc, err := userConfig(f)
	if err != nil {
		return nil, nil, err
	}
	uc.Entrypoint, uc.Command, _ = splitCommand(f, ic, args)
	if uc.Volumes, err = resolveMounts(spec.Mounts); err != nil {
		return nil, nil, err
	}
	cfg := runtime.Config{Name: f.name, Image: imageName, ImageID: img.ID, Spec: spec,
		Stdin: f.interactive, AutoRemove: f.rm, StopSignal: cmp.Or(stopSignal, ic.StopSignal), UserConfig: uc}
	for _, apply := range []func(*runtime.Config) error{f.applyLifecycle, f.applyLog, f.applyCgroups, f.applyHealth} {
		if err := apply(&cfg); err != nil {
			return nil, nil, err
		}
	}
	if err := f.applyUnit(&cfg); err != nil {
		return nil, nil, err
	}
	if err := f.applyImageHealth(ic, &cfg); err != nil { // runhealth.go
		return nil, nil, err
	}
	c, err := runtime.Create(g.store, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := writeCIDFile(f.cidfile, c); err != nil {
		c.Remove(true)
		return nil, nil, err
	}
	if err := storeNetwork(c, ncfg); err != nil {
		c.Remove(true)
		return nil, nil, err
	}
	if err := prepareVolumes(c); err != nil {
		c.Remove(true)
		return nil, nil, err
	}
	// Only now may it start: killed before, it is refused (runtime/creating.go).
	if err := c.FinishCreate(); err != nil {
		c.Remove(true)
		return nil, nil, err
	}
	warnNoCgroup(f, cmd.Flags())
	return c, started, nil
}

func runContainer(cmd *cobra.Command, f *runFlags, imageName string, args []string) error {
	c, pre, err := createContainer(cmd, f, imageName, args, !f.detach)
	if err != nil {
		return err
	}
	if f.detach {
		if err := spawnMonitor(c); err != nil {
			return err
		}
		fmt.Println(c.ID)
		return nil
	}
	reported := -1
	var exited func(int, error)
	if f.rm {
		exited = func(code int, err error) { reported = reportEarly(code, err) }
	}
	code, err := startAndWait(c, f, pre, exited)
	if f.rm {
		rerr := c.Remove(true)
		if rerr == nil {
			rerr = removeAnonymousVolumes(c) // as podman's --rm
		}
		if reported >= 0 {
			// The caller has its code; stderr is a terminal, a file or nothing.
			if rerr != nil {
				exitStatus(rerr)
			}
			return &exitError{code: reported}
		}
		if rerr != nil && err == nil {
			err = rerr
		}
	}
	return runOutcome(code, err)
}

// runOutcome is what a run's command returns for the container's exit code
// and the error that ended it.
func runOutcome(code int, err error) error {
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// reportEarly hands the run's outcome to rpod's caller before the container
// is torn down (userns.ReportExit), and returns the exit code it reported,
// or -1 when this rpod has no reporter to tell.
func reportEarly(code int, err error) int {
	if !userns.CanReport() {
		return -1
	}
	// Held first: a command the caller starts next waits for the removal.
	if storage.HoldTeardown(g.opts.RunRoot) != nil {
		return -1
	}
	rc := exitStatus(runOutcome(code, err))
	if !userns.ReportExit(rc) {
		return -1
	}
	return rc
}

// runStdio are the streams a foreground container gets: rpod's own.
func runStdio(f *runFlags) runtime.Stdio {
	stdio := runtime.Stdio{Out: os.Stdout, Err: os.Stderr}
	if f.interactive {
		stdio.In = os.Stdin
	}
	return stdio
}

// startAndWait runs the container in the foreground, with its init step
// pre started if not nil, and returns its exit code. exited, if not nil,
// has the code once the exit is recorded, before the rootfs is unmounted.
func startAndWait(c *runtime.Container, f *runFlags, pre *runtime.Prestarted, exited func(int, error)) (_ int, err error) {
	defer func() {
		if err != nil {
			pre.Abort() // unless used
		}
	}()
	// Owned before mounted: killed before the run is recorded, this rpod
	// leaves a record the next command's reaper gives the mount back by.
	rootfs, release, err := c.MountToRun()
	if err != nil {
		return runtime.ExitRpodError, err
	}
	defer release()
	spec := c.Spec
	spec.Rootfs = rootfs
	if spec.EtcDir, err = c.EtcDirectory(); err != nil {
		return runtime.ExitRpodError, err
	}
	hooks, err := networkHooks(c)
	if err != nil {
		return runtime.ExitRpodError, err
	}
	stdio := runStdio(f)
	started := time.Now()
	// This process is the container's monitor: the cgroup is made for it.
	cg, err := c.CreateCgroup()
	if err != nil {
		c.SetState(runtime.State{Status: "exited", ExitCode: runtime.ExitRpodError, StartedAt: started, FinishedAt: time.Now()})
		return runtime.ExitRpodError, err
	}
	defer runtime.RemoveCgroup(cg)
	hooks.Cgroup = cg
	p, err := runtime.StartPrestarted(pre, &spec, stdio, hooks)
	if err != nil {
		code := runtime.ErrorCode(err)
		c.SetState(runtime.State{Status: "exited", ExitCode: code, StartedAt: started, FinishedAt: time.Now()})
		return code, err
	}
	pidStart, _ := proc.StartTime(p.Pid())
	c.SetState(runtime.State{Status: "running", Pid: p.Pid(), PidStart: pidStart, MonitorPid: os.Getpid(), StartedAt: started,
		CgroupPath: runtime.Leaf(cg)})
	notifyStarted(c)
	stopHealth := c.StartHealth() // runtime/health_monitor.go
	code, err := p.Wait(stdio)
	stopHealth()
	c.SetState(runtime.State{Status: "exited", ExitCode: code, StartedAt: started, FinishedAt: time.Now(),
		OOMKilled: runtime.OOMKills(cg) > 0})
	if exited != nil {
		exited(code, err)
	}
	return code, err
}
