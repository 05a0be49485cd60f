package hostcheck

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rpod/rpod/netslirp"
	"github.com/rpod/rpod/userns"
)

// checkTun: every network mode but none and host puts a TAP device in the
// container's network namespace, opened through /dev/net/tun.
func checkTun() Result { return tunVerdict(netslirp.ProbeTun()) }

func tunVerdict(err error) Result {
	r := Result{Name: "tun", Status: OK, Found: "/dev/net/tun usable"}
	if err == nil {
		return r
	}
	r.Status = Fail
	r.Found = netslirp.TunPath + ": " + err.Error() + ": containers get no network (only --network none or host work)"
	r.Fix = netslirp.TunFix(err)
	return r
}

// checkNetHelpers lists pasta and slirp4netns: optional, as rpod's embedded
// stack needs neither; --network pasta|slirp4netns does.
func checkNetHelpers() Result {
	var found []string
	for _, h := range []string{"pasta", "slirp4netns"} {
		if p, err := exec.LookPath(h); err == nil {
			found = append(found, h+": "+p)
		} else {
			found = append(found, h+": not installed")
		}
	}
	return Result{Name: "net-helpers", Status: OK, Found: strings.Join(found, ", ") + " (optional: the embedded stack needs neither)"}
}

// checkUnprivilegedPorts: -p with a host port below this needs the sysctl lowered.
func checkUnprivilegedPorts() Result {
	return portsVerdict(userns.ReadSysctlInt("net.ipv4.ip_unprivileged_port_start"))
}

func portsVerdict(start int) Result {
	r := Result{Name: "unprivileged-ports", Status: OK}
	const name = "net.ipv4.ip_unprivileged_port_start"
	switch {
	case start < 0:
		r.Found = name + " unreadable: host ports from 1024 can be published"
	case start > 1024:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s=%d: host ports below %d cannot be published with -p", name, start, start)
		r.Fix = userns.FixSysctl(name, "1024", "99-rpod-ports.conf") + " (or 80 to publish ports from 80)"
	case start == 0:
		r.Found = name + "=0: every host port can be published"
	default:
		r.Found = fmt.Sprintf("%s=%d: host ports from %d can be published (lower the sysctl for lower ones)", name, start, start)
	}
	return r
}

// parsePingRange parses net.ipv4.ping_group_range ("1\t0" when nobody may ping).
func parsePingRange(s string) (lo, hi uint32, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(f[0], 10, 32)
	b, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint32(a), uint32(b), true
}

// checkPing: ping in a container opens an ICMP socket as the user's gid.
func checkPing(o Options) Result {
	s, _ := userns.ReadSysctl("net.ipv4.ping_group_range")
	return pingVerdict(s, uint32(o.GID))
}

func pingVerdict(s string, gid uint32) Result {
	const name = "net.ipv4.ping_group_range"
	r := Result{Name: "ping", Status: OK}
	lo, hi, ok := parsePingRange(s)
	shown := strings.Join(strings.Fields(s), " ")
	switch {
	case !ok:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s unreadable (%q): ping in containers may fail", name, s)
	case lo <= gid && gid <= hi:
		r.Found = fmt.Sprintf("%s=%s includes your gid %d", name, shown, gid)
		return r
	default:
		r.Status = Warn
		r.Found = fmt.Sprintf("%s=%s excludes your gid %d: ping in containers fails", name, shown, gid)
	}
	r.Fix = userns.FixSysctl(name, "0 2147483647", "99-rpod-ping.conf")
	return r
}
