package runtime

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/idtools"

	"github.com/rpod/rpod/internal/account"
)

const usernsChoices = "host, keep-id[:uid=UID,gid=GID] or nomap"

// ParseUserNS parses a --userns value as podman spells it.
func ParseUserNS(v string) (UserNS, error) {
	bad := func(why string) (UserNS, error) {
		return UserNS{}, fmt.Errorf("invalid --userns %q: %s: rpod takes %s", v, why, usernsChoices)
	}
	if v == "" {
		return UserNS{}, nil
	}
	mode, opts, hasOpts := strings.Cut(v, ":")
	switch mode {
	case UserNSHost:
		if hasOpts {
			return bad("host takes no options")
		}
		return UserNS{Mode: UserNSHost}, nil
	case UserNSNoMap:
		if hasOpts {
			return bad("nomap takes no options")
		}
		return UserNS{Mode: UserNSNoMap}, nil
	case UserNSKeepID:
	case "auto", "private", "ns", "container", "pod":
		return bad(mode + " is not supported")
	default:
		return bad("unknown mode")
	}
	n := UserNS{Mode: UserNSKeepID}
	if !hasOpts {
		return n, nil
	}
	for _, o := range strings.Split(opts, ",") {
		k, val, _ := strings.Cut(o, "=")
		id, err := strconv.ParseUint(val, 10, 32)
		if err != nil || id == math.MaxUint32 {
			if k == "uid" || k == "gid" {
				return bad(fmt.Sprintf("keep-id %s must be a number, not %q", k, val))
			}
		}
		x := uint32(id)
		switch k {
		case "uid":
			if n.UID != nil {
				return bad("uid given twice")
			}
			n.UID = &x
		case "gid":
			if n.GID != nil {
				return bad("gid given twice")
			}
			n.GID = &x
		default:
			return bad(fmt.Sprintf("unknown keep-id option %q (rpod takes uid= and gid=)", o))
		}
	}
	return n, nil
}

// String is the mode as the user typed it, for inspect and messages.
func (n UserNS) String() string {
	if n.Mode == "" {
		return UserNSHost
	}
	s := n.Mode
	var opts []string
	if n.UID != nil {
		opts = append(opts, fmt.Sprintf("uid=%d", *n.UID))
	}
	if n.GID != nil {
		opts = append(opts, fmt.Sprintf("gid=%d", *n.GID))
	}
	if len(opts) > 0 {
		s += ":" + strings.Join(opts, ",")
	}
	return s
}

// nested reports whether the mode puts the container in a user namespace of its own.
func (n UserNS) nested() bool { return n.Mode == UserNSKeepID || n.Mode == UserNSNoMap }

// KeepIDUser is the user a keep-id container runs as unless -u says
// otherwise: keep-id's uid and gid, by default the user's own.
func (n UserNS) KeepIDUser() (uid, gid uint32, err error) {
	self, err := readSelfMaps()
	if err != nil {
		return 0, 0, err
	}
	uid, gid = self.uidOwner, self.gidOwner
	if n.UID != nil {
		uid = *n.UID
	}
	if n.GID != nil {
		gid = *n.GID
	}
	return uid, gid, nil
}

// selfMaps is what rpod's own namespace offers a nested one: the user's
// host ids (rpod's uid and gid 0) and how many ids it maps from 0 up.
type selfMaps struct {
	uidOwner, gidOwner uint32
	uidCount, gidCount uint32
}

func readSelfMaps() (selfMaps, error) {
	var m selfMaps
	for _, x := range []struct {
		file         string
		owner, count *uint32
	}{{"/proc/self/uid_map", &m.uidOwner, &m.uidCount}, {"/proc/self/gid_map", &m.gidOwner, &m.gidCount}} {
		f, err := os.Open(x.file)
		if err != nil {
			return m, fmt.Errorf("read rpod's id map: %w", err)
		}
		maps, err := parseProcMap(f)
		f.Close()
		if err != nil {
			return m, fmt.Errorf("%s: %w", x.file, err)
		}
		owner, count, ok := rootlessRange(maps)
		if !ok {
			return m, fmt.Errorf("--userns keep-id and nomap work in rpod's rootless user namespace only (rpod runs as real root, or %s is unusual)", x.file)
		}
		*x.owner, *x.count = owner, count
	}
	return m, nil
}

// parseProcMap reads /proc/PID/uid_map lines: inside outside count.
func parseProcMap(r io.Reader) ([]idtools.IDMap, error) {
	var out []idtools.IDMap
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("malformed line %q", sc.Text())
		}
		var v [3]uint64
		for i := range f {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("malformed line %q", sc.Text())
			}
			v[i] = n
		}
		out = append(out, idtools.IDMap{ContainerID: int(v[0]), HostID: int(v[1]), Size: int(v[2])})
	}
	return out, sc.Err()
}

// rootlessRange finds the host id of rpod's 0 and the ids contiguously
// mapped from 0. The initial namespace (0 0 4294967295) is not rootless.
func rootlessRange(maps []idtools.IDMap) (owner, count uint32, ok bool) {
	for _, m := range maps {
		if m.ContainerID == 0 && m.HostID == 0 && uint64(m.Size) == math.MaxUint32 {
			return 0, 0, false
		}
	}
	next := uint64(0)
	for found := true; found; {
		found = false
		for _, m := range maps {
			if uint64(m.ContainerID) == next && m.Size > 0 {
				if next == 0 {
					owner = uint32(m.HostID)
				}
				next += uint64(m.Size)
				found = true
			}
		}
	}
	if next == 0 {
		return 0, 0, false
	}
	return owner, uint32(min(next, math.MaxUint32)), true
}

// nestedMap maps a container's ids to rpod's namespace, which maps count
// ids from 0 (0 is the user). keep-id puts rpod's 0 at id and the others
// around it, as podman does; nomap leaves rpod's 0 out.
func nestedMap(mode string, id, count uint32) []idtools.IDMap {
	if count == 0 {
		return nil
	}
	others := int(count) - 1 // the subordinate ids, rpod's 1..count-1
	switch mode {
	case UserNSNoMap:
		if others == 0 {
			return nil
		}
		return []idtools.IDMap{{ContainerID: 0, HostID: 1, Size: others}}
	case UserNSKeepID:
		var m []idtools.IDMap
		below := min(int(id), others)
		if below > 0 {
			m = append(m, idtools.IDMap{ContainerID: 0, HostID: 1, Size: below})
		}
		m = append(m, idtools.IDMap{ContainerID: int(id), HostID: 0, Size: 1})
		// id+1 cannot wrap: ParseUserNS refuses 2^32-1.
		if above := others - below; above > 0 {
			m = append(m, idtools.IDMap{ContainerID: int(id) + 1, HostID: below + 1, Size: above})
		}
		return m
	}
	return nil
}

// mapsFor computes the container's maps for mode n in the current namespace.
func mapsFor(n UserNS) (uidMap, gidMap []idtools.IDMap, err error) {
	self, err := readSelfMaps()
	if err != nil {
		return nil, nil, err
	}
	uid, gid, _ := n.KeepIDUser()
	uidMap = nestedMap(n.Mode, uid, self.uidCount)
	gidMap = nestedMap(n.Mode, gid, self.gidCount)
	if !mapsID(uidMap, 0) || !mapsID(gidMap, 0) {
		return nil, nil, fmt.Errorf("--userns=%s needs subordinate ids for the container's root: add a range for your user to /etc/subuid and /etc/subgid (sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER), then run rpod system migrate", n)
	}
	return uidMap, gidMap, nil
}

// HostIDs maps a container's uid and gid to rpod's namespace, where the
// store's files are owned: the identity unless the container has its own
// user namespace. ok is false for an id the container's map lacks.
func (n UserNS) HostIDs(uid, gid uint32) (hostUID, hostGID int, ok bool) {
	if !n.nested() {
		return int(uid), int(gid), true
	}
	hostUID, okU := toHost(n.UIDMap, int(uid))
	hostGID, okG := toHost(n.GIDMap, int(gid))
	return hostUID, hostGID, okU && okG
}

func toHost(m []idtools.IDMap, id int) (int, bool) {
	for _, x := range m {
		if id >= x.ContainerID && id-x.ContainerID < x.Size {
			return x.HostID + id - x.ContainerID, true
		}
	}
	return 0, false
}

func mapsID(m []idtools.IDMap, id int) bool {
	_, ok := toHost(m, id)
	return ok
}

// userNamespace adds the container's own user namespace to attr, if its mode needs one.
func userNamespace(s *Spec, attr *syscall.SysProcAttr) error {
	if !s.UserNS.nested() {
		return nil
	}
	if len(s.UserNS.UIDMap) == 0 || len(s.UserNS.GIDMap) == 0 {
		return fmt.Errorf("container with --userns=%s has no id maps: recreate it", s.UserNS)
	}
	if s.UserNS.Mode == UserNSNoMap && s.Rootfs != "" {
		if err := makeTraversable(s.Rootfs, s.UserNS); err != nil {
			return err
		}
	}
	attr.Cloneflags |= syscall.CLONE_NEWUSER
	attr.UidMappings = procIDMaps(s.UserNS.UIDMap)
	attr.GidMappings = procIDMaps(s.UserNS.GIDMap)
	// rpod is root of the parent namespace: setgroups stays allowed, for
	// the image's supplementary groups and --group-add.
	attr.GidMappingsEnableSetgroups = true
	// The init step must be the container's root to keep its capabilities
	// across exec: rpod's own uid is not root (keep-id) or not mapped (nomap)
	// in the new namespace.
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	return nil
}

func procIDMaps(m []idtools.IDMap) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, x := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: x.ContainerID, HostID: x.HostID, Size: x.Size}
	}
	return out
}

// storageOptions are the ID mappings the container's layer needs for its
// mode; it fixes them in cfg, which Create records after this call.
func storageOptions(cfg *Config) (*cstorage.ContainerOptions, error) {
	n := &cfg.Spec.UserNS
	if !n.nested() {
		return nil, nil
	}
	uidMap, gidMap, err := mapsFor(*n)
	if err != nil {
		return nil, err
	}
	n.UIDMap, n.GIDMap = uidMap, gidMap
	if n.Mode == UserNSKeepID {
		if self, err := readSelfMaps(); err == nil {
			if u, err := account.LookupID(int(self.uidOwner)); err == nil {
				n.UserName, n.UserHome = u.Username, u.HomeDir
			}
		}
	}
	opts := &cstorage.ContainerOptions{}
	opts.UIDMap = append([]idtools.IDMap{}, uidMap...)
	opts.GIDMap = append([]idtools.IDMap{}, gidMap...)
	return opts, nil
}

// makeTraversable lets a container whose root is not the user (nomap)
// reach its rootfs: capabilities do not cover files of an unmapped owner,
// so each of the user's directories on the way needs search permission for
// others. podman makes the same change; rpod says which directories.
func makeTraversable(rootfs string, n UserNS) error {
	p := filepath.Clean(rootfs)
	var dirs []string
	for d := filepath.Dir(p); ; d = filepath.Dir(d) {
		dirs = append(dirs, d)
		if d == "/" {
			break
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("--userns=nomap: %w", err)
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("--userns=nomap: stat %s: no owner", d)
		}
		// The container's root may search what others may, and what its
		// capabilities cover: files whose owner and group are mapped.
		if st.Mode().Perm()&0o001 != 0 || (hostMaps(n.UIDMap, int(sys.Uid)) && hostMaps(n.GIDMap, int(sys.Gid))) {
			continue
		}
		// Ours is rpod's 0, the user; anything else we cannot change.
		if sys.Uid != 0 {
			return fmt.Errorf("--userns=nomap: the container's root cannot reach its root filesystem: %s is not searchable by others and not yours to change; use --userns=keep-id, or a store under a searchable directory", d)
		}
		if err := os.Chmod(d, st.Mode().Perm()|0o001); err != nil {
			return fmt.Errorf("--userns=nomap: make %s searchable for the container's root: %w", d, err)
		}
		fmt.Fprintf(os.Stderr, "WARN[0000] --userns=nomap: made %s searchable by others (chmod o+x) so that the container's root can reach its root filesystem, as podman does\n", d)
	}
	return nil
}

// hostMaps reports whether a map gives the id of rpod's namespace a name in the container.
func hostMaps(m []idtools.IDMap, id int) bool {
	for _, x := range m {
		if id >= x.HostID && id-x.HostID < x.Size {
			return true
		}
	}
	return false
}
