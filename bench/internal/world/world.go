// Package world is the throwaway environment rpod's benchmarks run in: a
// local docker-registry, private HOME and XDG_* directories, a
// registries.conf that makes the registry the only search registry, podman's
// containers.conf, the rpod binary, and a teardown that removes the stores
// and the pause processes. It also holds the timing, statistics, report
// and /proc reading helpers the benchmarks share.
package world

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rpod/rpod/internal/fixture"
)

// BuildTags are the tags rpod is built with.
const BuildTags = "exclude_graphdriver_btrfs containers_image_openpgp"

// World is a benchmark's private environment and what must be torn down.
type World struct {
	Dir     string            // the temporary directory everything lives in
	Env     []string          // environment of every command run in the world
	Reg     *fixture.Registry // the local registry
	Rpod    string            // absolute path of the rpod binary
	Podman  string            // set by FindPodman once podman may have been run in this world
	DataDir string            // XDG_DATA_HOME: rpod's store is DataDir/rpod, podman's DataDir/containers
	RunDir  string            // XDG_RUNTIME_DIR
}

// RefuseRoot returns a message if the process runs as root: the benchmarks measure rootless containers.
func RefuseRoot() string {
	if os.Geteuid() != 0 {
		return ""
	}
	return "bench: refusing to run as root: the benchmark measures rootless containers. " +
		"Run `bash bench/run.sh` (as root it builds the binaries and runs this program as an unprivileged user), " +
		"or run this program as an ordinary user with subordinate ids in /etc/subuid and /etc/subgid."
}

// begin refuses root, catches interrupts (ctx ends on one) and creates the
// world. end closes the world, keeping its directory if keep is set. A
// nonzero code is the exit code, the reason already printed.
func begin(keep bool) (ctx context.Context, w *World, end func(), code int) {
	if msg := RefuseRoot(); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
		return nil, nil, nil, 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	w, err := Create()
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "bench:", err)
		return nil, nil, nil, 1
	}
	return ctx, w, func() { w.Close(keep); stop() }, 0
}

// Create makes the world's temporary directory under $TMPDIR; Setup fills it.
func Create() (*World, error) {
	dir, err := os.MkdirTemp("", "rpod-bench-")
	if err != nil {
		return nil, err
	}
	return &World{Dir: dir}, nil
}

// Close tears the world down and removes its directory unless keep is set.
func (w *World) Close(keep bool) {
	w.teardown()
	if !strings.HasPrefix(w.RunDir, w.Dir+"/") && w.RunDir != "" {
		os.RemoveAll(w.RunDir)
	}
	if keep {
		fmt.Fprintf(os.Stderr, "bench: kept %s\n", w.Dir)
	} else if err := os.RemoveAll(w.Dir); err != nil {
		fmt.Fprintf(os.Stderr, "bench: could not remove %s: %v\n", w.Dir, err)
	}
}

// Setup starts the registry, writes the configuration and locates or builds rpod.
func (w *World) Setup(ctx context.Context, rpodFlag string) error {
	reg, err := fixture.StartRegistry(filepath.Join(w.Dir, "registry"))
	if err != nil {
		return err
	}
	w.Reg = reg

	for _, d := range []string{"home", "run", "data", "config/containers"} {
		if err := os.MkdirAll(filepath.Join(w.Dir, d), 0o700); err != nil {
			return err
		}
	}
	regConf := filepath.Join(w.Dir, "registries.conf")
	if err := os.WriteFile(regConf, []byte(fmt.Sprintf(
		"unqualified-search-registries = [%q]\n\n[[registry]]\nlocation = %q\ninsecure = true\n", reg.Addr, reg.Addr)), 0o644); err != nil {
		return err
	}
	// Rootless podman on this kind of host: no systemd, so cgroupfs and a file
	// event log; runc as the OCI runtime, like the command lines say.
	if err := os.WriteFile(filepath.Join(w.Dir, "config/containers/containers.conf"), []byte(
		"[containers]\nlog_driver = \"k8s-file\"\n\n[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nruntime = \"runc\"\n"), 0o644); err != nil {
		return err
	}
	w.DataDir = filepath.Join(w.Dir, "data")
	w.RunDir = filepath.Join(w.Dir, "run")
	// A user's XDG_RUNTIME_DIR is a tmpfs (/run/user/UID), where the
	// stores' run roots cost no disk syncs: /dev/shm is one a user can use.
	if shm, err := os.MkdirTemp("/dev/shm", "rpod-bench-run-"); err == nil {
		w.RunDir = shm
	}
	w.Env = []string{
		"HOME=" + filepath.Join(w.Dir, "home"),
		"XDG_RUNTIME_DIR=" + w.RunDir,
		"XDG_DATA_HOME=" + w.DataDir,
		"XDG_CONFIG_HOME=" + filepath.Join(w.Dir, "config"),
		"CONTAINERS_REGISTRIES_CONF=" + regConf,
		"PATH=" + os.Getenv("PATH"),
		"LANG=C",
	}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		w.Env = append(w.Env, "TMPDIR="+tmp)
	}

	if rpodFlag != "" {
		w.Rpod, err = filepath.Abs(rpodFlag)
	} else {
		w.Rpod, err = buildRpod(ctx, w.Dir)
	}
	return err
}

// PushBusybox builds the tests' one-layer busybox image and pushes it as busybox:latest.
func (w *World) PushBusybox(ctx context.Context) error {
	layout := filepath.Join(w.Dir, "busybox-layout")
	if err := fixture.BuildBusybox(layout); err != nil {
		return err
	}
	return fixture.Push(ctx, layout, w.Reg.Addr+"/busybox:latest")
}

// buildRpod builds ./cmd/rpod of the module in the current directory into dir.
func buildRpod(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("no -rpod given and not inside the rpod module (go env GOMOD: %q, %v)", gomod, err)
	}
	root := filepath.Dir(gomod)
	bin := filepath.Join(dir, "rpod")
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-tags", BuildTags, "-o", bin, "./cmd/rpod")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/rpod: %w", err)
	}
	return bin, nil
}

// FindPodman looks podman up and, if found, has the teardown clean up after it.
func (w *World) FindPodman() (string, error) {
	p, err := LookPath("podman")
	if err == nil {
		w.Podman = p
	}
	return p, err
}

// LookPath is exec.LookPath, but returns name itself when it finds nothing,
// so that a report can still show the command.
func LookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return name, err
	}
	return p, nil
}

// Output runs a setup or teardown command in the world and returns its combined output.
func (w *World) Output(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = w.Env
	cmd.Dir = w.Dir
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// RpodStore is rpod's data directory: its store, under $XDG_DATA_HOME/rpod.
func (w *World) RpodStore() string { return filepath.Join(w.DataDir, "rpod") }

// PodmanStore is podman's (and skopeo's) data directory under $XDG_DATA_HOME:
// the store and containers/image's blob-info cache, which rpod uses too.
func (w *World) PodmanStore() string { return filepath.Join(w.DataDir, "containers") }

// RemoveStores empties rpod's and podman's stores and the shared blob-info
// cache. The files belong to subordinate ids, so each tool removes its own
// from inside its user namespace.
func (w *World) RemoveStores(ctx context.Context) error {
	if _, err := os.Stat(w.RpodStore()); err == nil {
		if out, err := w.Output(ctx, w.Rpod, "unshare", "rm", "-rf", w.RpodStore()); err != nil {
			return fmt.Errorf("rpod unshare rm -rf %s: %v: %s", w.RpodStore(), err, Tail(out, 400))
		}
	}
	if _, err := os.Stat(w.PodmanStore()); err == nil {
		if w.Podman == "" {
			// Without podman only rpod wrote here: the blob-info cache, owned by this user.
			if err := os.RemoveAll(w.PodmanStore()); err != nil {
				return fmt.Errorf("%w (podman, which could remove files of subordinate ids, was not found)", err)
			}
			return nil
		}
		if out, err := w.removePodmanStore(ctx); err != nil {
			return fmt.Errorf("podman unshare rm -rf %s: %v: %s", w.PodmanStore(), err, Tail(out, 400))
		}
	}
	return nil
}

// removePodmanStore removes podman's data directory with `podman unshare rm
// -rf`. podman unshare opens the store first, and with the overlay driver
// that bind-mounts the driver's directory onto itself in the mount namespace
// of podman's pause process, where it stays; so it is unmounted first.
func (w *World) removePodmanStore(ctx context.Context) (string, error) {
	script := `awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r umount -l; rm -rf "$1"`
	return w.Output(ctx, w.Podman, "unshare", "sh", "-c", script, "sh", w.PodmanStore())
}

// teardown removes the rpod and podman stores (owned by subordinate ids, so
// from inside each tool's user namespace), stops their pause processes and
// stops the registry. It reports problems and carries on.
func (w *World) teardown() {
	ctx := context.Background()
	warn := func(what string, out string, err error) {
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: teardown: %s: %v: %s\n", what, err, Tail(out, 400))
		}
	}
	if w.Podman != "" {
		out, err := w.Output(ctx, w.Podman, "rm", "-af", "-t", "0")
		warn("podman rm -af -t 0", out, err)
		out, err = w.removePodmanStore(ctx)
		warn("podman unshare rm -rf", out, err)
		out, err = w.Output(ctx, w.Podman, "system", "migrate")
		warn("podman system migrate", out, err)
		// migrate may leave (or start) a pause process; it is ours, named by our runtime directory.
		killPidFile(filepath.Join(w.RunDir, "libpod", "tmp", "pause.pid"))
	}
	if w.Rpod != "" && w.Env != nil {
		if _, err := os.Stat(w.RpodStore()); err == nil {
			out, err := w.Output(ctx, w.Rpod, "rm", "-af", "-t", "0")
			warn("rpod rm -af -t 0", out, err)
			out, err = w.Output(ctx, w.Rpod, "unshare", "rm", "-rf", w.RpodStore())
			warn("rpod unshare rm -rf", out, err)
		}
		out, err := w.Output(ctx, w.Rpod, "system", "migrate")
		warn("rpod system migrate", out, err)
	}
	if w.Reg != nil {
		w.Reg.Stop()
	}
}

// killPidFile kills the process named in a pid file if it still runs as this user.
func killPidFile(path string) {
	pid := ReadPidFile(path)
	if pid <= 1 {
		return
	}
	var st syscall.Stat_t
	if syscall.Stat(fmt.Sprintf("/proc/%d", pid), &st) != nil || int(st.Uid) != os.Getuid() {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// ReadPidFile reads the first field of a pid file; 0 if there is none.
func ReadPidFile(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}

// StoreDriver names the storage driver a store at graphroot holds layers of,
// read from disk because containers/storage keeps a DRIVER-layers directory
// per driver (podman info would not do: without podman's database, which
// skopeo does not write, it reports podman's default). "?" if none.
func StoreDriver(graphroot string) string {
	var names []string
	files, _ := filepath.Glob(filepath.Join(graphroot, "*-layers", "layers.json"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > 2 { // more than "[]"
			names = append(names, strings.TrimSuffix(filepath.Base(filepath.Dir(f)), "-layers"))
		}
	}
	if len(names) == 0 {
		return "?"
	}
	return strings.Join(names, ",")
}

// PodmanBusybox finds podman and pulls the registry's busybox into its store; why says what failed ("" if nothing), quoting up to tail bytes of podman's output.
func (w *World) PodmanBusybox(ctx context.Context, tail int) (podman, why string) {
	podman, err := w.FindPodman()
	if err != nil {
		return podman, "podman not found"
	}
	// Podman resolves the short name "busybox" to docker.io through the alias
	// in /etc/containers/registries.conf.d/shortnames.conf when pulling, so
	// pull the fully qualified name; `run busybox` then finds it locally
	// through unqualified-search-registries.
	if out, err := w.Output(ctx, podman, "pull", "-q", w.Reg.Addr+"/busybox:latest"); err != nil {
		return podman, fmt.Sprintf("podman pull busybox: %v: %s", err, Tail(out, tail))
	}
	return podman, ""
}
