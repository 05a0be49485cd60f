package cgroupdelegate

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/internal/account"
)

// Managers of a container's cgroup.
const (
	ManagerSystemd  = "systemd"  // a transient scope of the user's systemd instance
	ManagerCgroupfs = "cgroupfs" // sub-cgroups of the caller's own delegated cgroup
	ManagerNone     = "none"     // no cgroup of the container's own
)

// Detect says what this host and session allow.
func Detect() Host {
	h := Host{Version: cgroupVersion(), Manager: ManagerNone}
	switch h.Version {
	case "v1", "hybrid":
		h.Reason = v1Reason(h.Version) // no /proc read: this is every run's path on such hosts
		return h
	}
	h.uid = HostUID()
	addrs := busAddresses(h.uid)
	if conn, err := dialUserBus(addrs, h.uid); err == nil {
		cg := managerCgroup(conn)
		conn.Close()
		if cg == "" {
			cg = fmt.Sprintf("/user.slice/user-%d.slice/user@%d.service", h.uid, h.uid)
		}
		h.Manager, h.busAddrs, h.base = ManagerSystemd, addrs, cg
		h.Controllers = controllersOf(fsPath(cg))
		return h
	}
	own, err := ownCgroup(0)
	if err == nil && writable(fsPath(own)) {
		h.Manager, h.base = ManagerCgroupfs, own
		h.Controllers = controllersOf(fsPath(own))
		return h
	}
	if err != nil {
		own = "(unknown: " + err.Error() + ")"
	}
	h.Reason = fmt.Sprintf("there is no systemd user session bus (tried %s) and the current cgroup %s is not delegated to uid %d: "+
		"run rpod in a user session (loginctl enable-linger %s) or from a systemd user unit with Delegate=yes",
		joinQuoted(addrs), own, h.uid, userName(h.uid))
	return h
}

// v1Reason says why a v1 or hybrid host gives no cgroups, and the fix.
func v1Reason(version string) string {
	layout := "cgroup v1"
	if version == "hybrid" {
		layout = "hybrid cgroups (v1 controllers, cgroup v2 only at /sys/fs/cgroup/unified)"
	}
	return "this host uses " + layout + ", and cgroup v1 cannot be delegated to an unprivileged user: " +
		"boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line for cgroup v2"
}

// cgroupVersion is "v2", "hybrid" or "v1", by the filesystem at the mount points.
func cgroupVersion() string {
	if isCgroup2(cgroupRoot) {
		return "v2"
	}
	if isCgroup2(filepath.Join(cgroupRoot, "unified")) {
		return "hybrid"
	}
	return "v1"
}

func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// busAddresses are the session bus addresses to try, best first.
func busAddresses(uid int) []string {
	var addrs []string
	add := func(a string) {
		for _, x := range addrs {
			if x == a {
				return
			}
		}
		addrs = append(addrs, a)
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		add(a)
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		add("unix:path=" + filepath.Join(d, "bus"))
	}
	add(fmt.Sprintf("unix:path=/run/user/%d/bus", uid))
	return addrs
}

func userName(uid int) string {
	if u, err := account.LookupID(uid); err == nil {
		return u.Username
	}
	return "$USER"
}

func joinQuoted(list []string) string {
	s := ""
	for i, x := range list {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(x)
	}
	return s
}
