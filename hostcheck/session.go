package hostcheck

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rpod/rpod/cgroupdelegate"
)

// fixSession is how a user gets a proper login session and its runtime directory.
func fixSession(o Options) string {
	return fmt.Sprintf("log in through a session (ssh %s@localhost, or sudo machinectl shell %s@), not su or sudo; or export XDG_RUNTIME_DIR=/run/user/%d", o.User, o.User, o.UID)
}

// dirFacts is what a stat of a directory said, for runtimeDirVerdict.
type dirFacts struct {
	Exists, IsDir bool
	UID           int
	Mode          os.FileMode
}

func statDir(p string) dirFacts {
	st, err := os.Stat(p)
	if err != nil {
		return dirFacts{}
	}
	return dirFacts{Exists: true, IsDir: st.IsDir(), UID: int(st.Sys().(*syscall.Stat_t).Uid), Mode: st.Mode().Perm()}
}

// checkRuntimeDir: XDG_RUNTIME_DIR set, a directory, the user's, mode 0700.
func checkRuntimeDir(o Options) Result {
	x := os.Getenv("XDG_RUNTIME_DIR")
	return runtimeDirVerdict(o, x, statDir(x))
}

func runtimeDirVerdict(o Options, x string, d dirFacts) Result {
	r := Result{Name: "runtime-dir", Status: Warn}
	fallback := fmt.Sprintf("rpod uses /tmp/rpod-run-%d instead", o.UID)
	switch {
	case x == "":
		r.Found = "XDG_RUNTIME_DIR is not set: " + fallback
		r.Fix = fixSession(o)
	case !filepath.IsAbs(x):
		r.Found = fmt.Sprintf("XDG_RUNTIME_DIR=%s is not an absolute path: %s", x, fallback)
		r.Fix = fixSession(o)
	case !d.Exists:
		r.Found = fmt.Sprintf("XDG_RUNTIME_DIR=%s does not exist: %s", x, fallback)
		r.Fix = fmt.Sprintf("sudo loginctl enable-linger %s (systemd creates /run/user/%d), or %s", o.User, o.UID, fixSession(o))
	case !d.IsDir:
		r.Found = fmt.Sprintf("XDG_RUNTIME_DIR=%s is not a directory: %s", x, fallback)
		r.Fix = fixSession(o)
	case d.UID != o.UID:
		r.Found = fmt.Sprintf("XDG_RUNTIME_DIR=%s is owned by uid %d, not by you (after su or sudo?): %s", x, d.UID, fallback)
		r.Fix = fixSession(o)
	case d.Mode != 0o700:
		r.Found = fmt.Sprintf("XDG_RUNTIME_DIR=%s has mode %04o, not 0700: others can reach rpod's sockets and pid files", x, d.Mode)
		r.Fix = "chmod 0700 " + x
	default:
		r.Status, r.Found = OK, x
	}
	return r
}

// busPath returns the socket named by a D-Bus address such as
// "unix:path=/run/user/1000/bus,guid=..." (the first unix:path entry).
func busPath(addr string) string {
	for _, a := range strings.Split(addr, ";") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(a), "unix:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "path="); ok && v != "" {
				return v
			}
		}
	}
	return ""
}

// checkSessionBus: systemd's user manager, and so cgroup limits, is reached over it.
func checkSessionBus(o Options) Result {
	r := Result{Name: "session-bus"}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	p := busPath(addr)
	if p == "" && addr == "" && os.Getenv("XDG_RUNTIME_DIR") != "" {
		p = filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "bus")
	}
	fix := fmt.Sprintf("sudo apt-get install dbus-user-session (Debian/Ubuntu; Fedora has it), then %s", fixSession(o))
	if p == "" {
		r.Status, r.Fix = Warn, fix
		r.Found = fmt.Sprintf("no session bus (DBUS_SESSION_BUS_ADDRESS=%q): no systemd user scopes, so no cgroup limits", addr)
		return r
	}
	c, err := net.DialTimeout("unix", p, 2*time.Second)
	if err != nil {
		r.Status, r.Fix = Warn, fix
		r.Found = fmt.Sprintf("session bus %s unreachable (%v): no systemd user scopes, so no cgroup limits", p, errText(err))
		return r
	}
	c.Close()
	r.Status, r.Found = OK, p
	return r
}

// errText is an error's errno words, without the path repeated.
func errText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en.Error()
	}
	return err.Error()
}

// systemdRuns reports whether systemd is the init system.
func systemdRuns() bool {
	_, err := os.Stat("/run/systemd/system")
	return err == nil
}

// checkLinger: without lingering, systemd kills the user's containers at logout.
func checkLinger(o Options) Result {
	r := Result{Name: "linger", Status: OK}
	if !systemdRuns() {
		r.Found = "systemd is not running: nothing stops containers at logout"
		return r
	}
	f := "/var/lib/systemd/linger/" + o.User
	if _, err := os.Stat(f); err == nil {
		r.Found = "enabled (" + f + ")"
		return r
	}
	r.Status = Warn
	r.Found = "disabled: systemd stops your containers when you log out, and they do not start at boot"
	r.Fix = "sudo loginctl enable-linger " + o.User
	return r
}

// wantControllers are the controllers rpod's limits use.
var wantControllers = []string{"cpu", "io", "memory", "pids"}

// fixDelegate delegates every controller rpod uses to user sessions.
const fixDelegate = `sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\nDelegate=cpu cpuset io memory pids\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload, then log out and in`

// fixUnified switches a host to cgroup v2.
const fixUnified = "boot with systemd.unified_cgroup_hierarchy=1: on Debian/Ubuntu add it to GRUB_CMDLINE_LINUX in /etc/default/grub and run sudo update-grub; on Fedora sudo grubby --update-kernel=ALL --args=systemd.unified_cgroup_hierarchy=1; then reboot"

// checkCgroups reports what cgroupdelegate can give a container.
func checkCgroups(o Options) Result { return cgroupVerdict(o, cgroupdelegate.Detect()) }

func cgroupVerdict(o Options, h cgroupdelegate.Host) Result {
	r := Result{Name: "cgroups", Status: Warn}
	switch {
	case h.Version != "v2":
		// Detect's reason names the same fix; the line says it once.
		r.Found = fmt.Sprintf("cgroup %s: limits (--memory, --cpus, --pids-limit) are unavailable, as cgroup v1 cannot be delegated to a user", h.Version)
		r.Fix = fixUnified
	case h.Manager == "none":
		r.Found = "cgroup v2, but no delegated cgroup: limits are unavailable"
		if h.Reason != "" {
			r.Found += " (" + h.Reason + ")"
		}
		r.Fix = fixSession(o)
	default:
		var missing []string
		for _, c := range wantControllers {
			if !slices.Contains(h.Controllers, c) {
				missing = append(missing, c)
			}
		}
		r.Found = fmt.Sprintf("cgroup v2, %s, delegated: %s", h.Manager, strings.Join(h.Controllers, " "))
		if len(missing) == 0 {
			r.Status = OK
			return r
		}
		r.Found += "; not delegated: " + strings.Join(missing, " ")
		r.Fix = fixDelegate
	}
	return r
}
