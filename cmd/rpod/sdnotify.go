package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/internal/proc"
	"github.com/rpod/rpod/runtime"
)

// unitFlags are run and create's flags for running under a systemd unit:
// --cidfile and --sdnotify.
type unitFlags struct {
	cidfile, sdnotify string
}

func (f *unitFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.cidfile, "cidfile", "", "write the container id to this file (it must not exist; removed with the container)")
	fl.StringVar(&f.sdnotify, "sdnotify", runtime.SdNotifyConmon,
		"under a Type=notify unit, who tells systemd the container is ready: conmon (the monitor, once the command runs), container (the container, through NOTIFY_SOCKET), healthy or ignore")
}

// checkUnitFlags checks --sdnotify and --cidfile before anything is pulled
// or made; with --replace the cidfile goes later (replaceCIDFile).
func (f *unitFlags) checkUnitFlags(replace bool) error {
	if !slices.Contains(runtime.SdNotifyModes, f.sdnotify) {
		return fmt.Errorf("invalid --sdnotify %q: use %s", f.sdnotify, strings.Join(runtime.SdNotifyModes, ", "))
	}
	if !replace {
		return checkCIDFile(f.cidfile)
	}
	return nil
}

// replaceCIDFile is --replace's part for --cidfile: the container the file
// names goes, and so does the file (a stale one, after a crash, too).
func (f *unitFlags) replaceCIDFile() {
	if f.cidfile == "" {
		return
	}
	ids, _ := readCIDFiles([]string{f.cidfile}, true)
	for _, id := range ids {
		if old, err := runtime.Load(g.store, id); err == nil && old.ID == id {
			old.Remove(true)
		}
	}
	os.Remove(f.cidfile)
}

// applyUnit records the command line, --sdnotify and --cidfile in cfg;
// with --sdnotify=container the unit's notify socket goes into the container.
func (f *unitFlags) applyUnit(cfg *runtime.Config) error {
	cfg.CreateCommand = append([]string{}, os.Args...)
	cfg.CIDFile = f.cidfile
	if f.sdnotify != runtime.SdNotifyConmon {
		cfg.SdNotifyMode = f.sdnotify
	}
	sock := os.Getenv("NOTIFY_SOCKET")
	if f.sdnotify != runtime.SdNotifyContainer || sock == "" {
		return nil
	}
	if strings.HasPrefix(sock, "@") {
		return fmt.Errorf("--sdnotify=container: NOTIFY_SOCKET %s is an abstract socket, which cannot be mounted into the container: use --sdnotify=conmon", sock)
	}
	cfg.Spec.Mounts = append(cfg.Spec.Mounts, runtime.Mount{Type: "bind", Source: sock, Destination: runtime.NotifySocketInContainer})
	cfg.Spec.Env = setEnv(cfg.Spec.Env, "NOTIFY_SOCKET="+runtime.NotifySocketInContainer)
	return nil
}

// notifyStarted tells a Type=notify unit that this process (the
// container's monitor) is its main process, and with --sdnotify=conmon
// that it is ready. A failure is only warned about: the container runs.
func notifyStarted(c *runtime.Container) {
	if err := c.NotifyStarted(os.Getpid()); err != nil {
		fmt.Fprintf(os.Stderr, "WARN[0000] %v\n", err)
	}
}

// monitorUnderUnit prepares the monitor (this process) of c: it writes
// the monitor pid file a Type=forking unit's PIDFile= reads, and, started
// by a unit of rpod's (RPOD_SYSTEMD_UNIT), keeps itself in the unit's
// cgroup, where systemd accepts it as the main process: a container made
// with --cgroups=enabled runs as with no-conmon, only its processes in a
// scope of their own. The returned func removes the pid file.
func monitorUnderUnit(c *runtime.Container) (func(), error) {
	if os.Getenv("RPOD_SYSTEMD_UNIT") != "" && (c.Cgroups.Mode == "" || c.Cgroups.Mode == cgroupdelegate.ModeEnabled) {
		c.Cgroups.Mode = cgroupdelegate.ModeNoConmon // this run only: the record is not saved
	}
	return c.WriteMonitorPidFile(os.Getpid())
}

// untilMonitorGone waits (up to 10 s) for the monitor that ran c when s
// was read to exit, after a stop: systemd does not wait for a main process
// that is not its child (the monitor, named by MAINPID=) and SIGKILLs it at
// once when ExecStop returns, which must not cut its cleanup short.
func untilMonitorGone(s runtime.State) {
	if s.MonitorPid <= 0 || s.MonitorPid == os.Getpid() {
		return
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !proc.Alive(s.MonitorPid, s.MonitorStart) || zombie(s.MonitorPid) {
			return
		}
	}
}

// zombie reports whether pid has exited and waits for its parent.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}
