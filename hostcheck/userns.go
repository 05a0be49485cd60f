package hostcheck

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/rpod/rpod/idmap"
	"github.com/rpod/rpod/userns"
)

// checkUserns: may the user create a user namespace and mount in it?
func checkUserns(o Options, p probeResult) Result {
	return usernsVerdict(userns.ReadSysctls(), p)
}

// usernsVerdict decides from the sysctls and, when it ran, the probe.
func usernsVerdict(s userns.Sysctls, p probeResult) Result {
	r := Result{Name: "userns"}
	blocked, restricted, found, fix := s.Verdict()
	if found == "" {
		found = "no sysctl restricts them"
	}
	r.Found = found
	switch {
	case blocked:
		r.Status, r.Fix = Fail, fix
		r.Found += ": unprivileged user namespaces are disabled"
	case p.Ran && p.StartErr != "":
		r.Status, r.Fix = Fail, fix
		r.Found += ": creating a user namespace failed: " + p.StartErr
		if fix == "" {
			r.Fix = "ask the administrator why unprivileged user namespaces are refused (a seccomp or LSM policy, or a container without them)"
		}
	case p.Ran && p.MountErr != "" && restricted:
		r.Status, r.Fix = Fail, fix
		r.Found += ": AppArmor denies mounts in rpod's user namespace (" + p.MountErr + ")"
	case p.Ran && p.MountErr != "":
		r.Status = Fail
		r.Found += ": a user namespace is created but cannot mount: " + p.MountErr
		r.Fix = "ask the administrator which LSM policy denies mounts in user namespaces; on Ubuntu: " + userns.FixAppArmor
	case restricted && !p.Ran:
		r.Status, r.Fix = Warn, fix
		r.Found += ": AppArmor may deny rpod's user namespace (not probed)"
	case restricted:
		r.Status = OK
		r.Found += " (an AppArmor profile allows rpod)"
	default:
		r.Status = OK
	}
	return r
}

// checkSubIDs checks the user's subordinate uid or gid ranges.
func checkSubIDs(o Options, kind string) Result {
	file := userns.SubIDFile(kind)
	all, bad, err := idmap.AllEntries(file)
	if err != nil {
		return Result{Name: "sub" + kind, Status: Warn, Found: err.Error(),
			Fix: fmt.Sprintf("sudo chmod 0644 %s", file)}
	}
	id := o.UID
	if kind == "gid" {
		id = o.GID
	}
	return subIDVerdict(kind, file, o.User, uint32(o.UID), uint32(id), all, bad)
}

// subIDVerdict decides the subuid/subgid line from the file's parsed lines.
// owner is matched as idmap.Lookup does: by name, or by the user's uid.
func subIDVerdict(kind, file, name string, uid, own uint32, all []idmap.Entry, bad []*idmap.ParseError) Result {
	r := Result{Name: "sub" + kind}
	var mine []idmap.Entry
	for _, e := range all {
		if idmap.Owns(e.Owner, name, uid) {
			mine = append(mine, e)
		}
	}
	free := idmap.FreeRange(all)
	if len(mine) == 0 {
		r.Status = Warn
		r.Found = fmt.Sprintf("no ranges for %s in %s: containers get a single-ID mapping (only root inside)", name, file)
		r.Fix = idmap.FixAddRanges(name, free)
		return r
	}
	var spans []string
	total := uint64(0)
	for _, e := range mine {
		spans = append(spans, e.Range.Span())
		total += uint64(e.Range.Count)
	}
	r.Found = fmt.Sprintf("%s: %s (%d ids)", name, strings.Join(spans, ", "), total)
	for _, e := range mine {
		if e.Range.Start <= own && uint64(own) < uint64(e.Range.Start)+uint64(e.Range.Count) {
			r.Status = Fail
			r.Found += fmt.Sprintf(": %s:%d contains your own %s %d", e.File, e.Line, kind, own)
			r.Fix = fmt.Sprintf("sudo usermod --del-sub%ss %s %s && %s", kind, e.Range.Span(), name, idmap.FixAddRanges(name, free))
			return r
		}
	}
	if err := idmap.CheckRanges(own, mine); err != nil {
		r.Status = Fail
		r.Found += ": " + strings.SplitN(err.Error(), ": remove", 2)[0]
		r.Fix = fmt.Sprintf("edit %s as root (sudo vi %s) so that %s's ranges do not overlap, then rpod system migrate", file, file, name)
		return r
	}
	if o := idmap.Overlapping(mine, all); len(o) > 0 {
		r.Status = Warn
		r.Found += fmt.Sprintf(": overlaps %s's range %s at %s:%d (each user can reach the other's container files)",
			o[0].Owner, o[0].Range.Span(), o[0].File, o[0].Line)
		r.Fix = fmt.Sprintf("sudo usermod --del-sub%ss %s %s && %s", kind, mine[0].Range.Span(), name, idmap.FixAddRanges(name, free))
		return r
	}
	if total < 65536 {
		r.Status = Warn
		r.Found += ": fewer than 65536, so images with higher ids fail to unpack"
		r.Fix = idmap.FixAddRanges(name, free)
		return r
	}
	if len(bad) > 0 {
		r.Status = Warn
		r.Found += fmt.Sprintf("; %d malformed line(s), first: %v", len(bad), bad[0])
		r.Fix = fmt.Sprintf("fix or remove line %d of %s as root (sudo vi %s)", bad[0].Line, file, file)
		return r
	}
	r.Status = OK
	return r
}

// checkHelper checks newuidmap or newgidmap with idmap's own check, the one
// a failing command reports.
func checkHelper(o Options, name string) Result {
	r := Result{Name: name}
	p, err := idmap.CheckHelper(name)
	if err != nil {
		var ce *idmap.CheckError
		if errors.As(err, &ce) {
			r.Found, r.Fix = ce.Found, ce.Fix
		} else {
			r.Found, r.Fix = err.Error(), idmap.FixInstallHelpers
		}
		r.Status = Fail
		kind := strings.TrimSuffix(strings.TrimPrefix(name, "new"), "map")
		if mine, _, _ := idmap.Lookup(userns.SubIDFile(kind), o.User, uint32(o.UID)); len(mine) == 0 {
			// Without ranges rpod writes a single-ID map itself.
			r.Status = Warn
		}
		return r
	}
	r.Status, r.Found = OK, p+helperPrivilege(p)
	return r
}

// helperPrivilege says how the helper gets its privilege.
func helperPrivilege(p string) string {
	if st, err := os.Stat(p); err == nil && st.Mode()&os.ModeSetuid != 0 {
		return " (setuid root)"
	}
	return " (file capabilities)"
}

// checkPause finds a pause process whose maps no longer match the ranges.
func checkPause() Result {
	st := userns.InspectPause()
	wu, wg, err := userns.WantedMaps()
	return pauseVerdict(st, wu, wg, err)
}

// pauseVerdict decides the pause line: wantUID/wantGID are the maps a new
// pause process would get (wantErr when the ranges are broken).
func pauseVerdict(st userns.PauseState, wantUID, wantGID string, wantErr error) Result {
	r := Result{Name: "pause", Status: OK}
	switch {
	case !st.Live && st.PID == 0:
		r.Found = "none running (the next rpod starts one)"
	case !st.Live:
		r.Found = fmt.Sprintf("%s names pid %d, which is gone (the next rpod replaces it)", st.PidFile, st.PID)
	case wantErr != nil:
		r.Found = fmt.Sprintf("pid %d, uids %s", st.PID, st.UIDMap)
	case st.UIDMap != wantUID || st.GIDMap != wantGID:
		r.Status = Warn
		r.Found = fmt.Sprintf("pid %d maps uids %s and gids %s, but the ranges now give %s and %s: it was started before they changed",
			st.PID, st.UIDMap, st.GIDMap, wantUID, wantGID)
		r.Fix = "rpod system migrate (stops it; the next rpod starts one with the current ranges)"
	default:
		r.Found = fmt.Sprintf("pid %d, uids %s", st.PID, st.UIDMap)
	}
	return r
}
