// Package hostcheck diagnoses whether this host lets the user run rootless
// containers, and names the exact command that fixes each problem.
//
// Each check reads the host as the user sees it, outside rpod's user
// namespace; a failed rpod command maps its error through the same words
// (see idmap.CheckError and userns.Sysctls).
package hostcheck

import (
	"os"

	"github.com/rpod/rpod/internal/account"
)

// Status is a check's outcome.
type Status string

// Outcomes: ok, warn (rpod works, with less), fail (rpod cannot run containers).
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Result is one check's line: what was found and, unless ok, the fix.
type Result struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Found  string `json:"found"`
	Fix    string `json:"fix"`
}

// Options say whose setup to check and where the store is.
type Options struct {
	User      string // user name; "" is the current user
	UID, GID  int
	GraphRoot string
	// Driver is the configured storage driver ("" when probed).
	Driver string
	// Probe runs the checks that create a user namespace and mount in it.
	Probe bool
}

// DefaultOptions are the current user's, with the probes on.
func DefaultOptions(graphRoot, driver string) Options {
	o := Options{UID: os.Getuid(), GID: os.Getgid(), GraphRoot: graphRoot, Driver: driver, Probe: true}
	o.User = account.Name(o.UID)
	return o
}

// Run runs every check, in the order `rpod system check` prints them.
func Run(o Options) []Result {
	var p probeResult
	if o.Probe {
		p = probe(o)
	}
	rs := []Result{checkUserns(o, p)}
	rs = append(rs, checkSubIDs(o, "uid"), checkSubIDs(o, "gid"))
	rs = append(rs, checkHelper(o, "newuidmap"), checkHelper(o, "newgidmap"))
	rs = append(rs, checkPause())
	rs = append(rs, checkRuntimeDir(o), checkSessionBus(o), checkLinger(o), checkCgroups(o))
	f := readFuse() // read once: the fuse and store-driver lines both need it
	rs = append(rs, checkOverlay(o, p), fuseVerdict(f, p), checkGraphrootFS(o), checkStoreDriver(o, p, f), checkDiskSpace(o))
	rs = append(rs, checkTun(), checkNetHelpers(), checkUnprivilegedPorts(), checkPing(o))
	return rs
}

// CanRun reports whether no check failed: rpod can run containers.
func CanRun(rs []Result) bool {
	for _, r := range rs {
		if r.Status == Fail {
			return false
		}
	}
	return true
}
