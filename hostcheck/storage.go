package hostcheck

import (
	"fmt"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/storage"
)

// fixLocalStore moves the store to a local disk through storage.conf.
func fixLocalStore(o Options) string { return storage.FixLocalStore(o.User) }

// checkOverlay reports the native overlay probe.
func checkOverlay(o Options, p probeResult) Result {
	var u unix.Utsname
	unix.Uname(&u)
	kernel := unix.ByteSliceToString(u.Release[:])
	return overlayVerdict(o, p, kernel)
}

func overlayVerdict(o Options, p probeResult, kernel string) Result {
	r := Result{Name: "overlay"}
	switch {
	case p.GraphErr != "":
		r.Status, r.Found = Warn, "not probed: "+p.GraphErr
		r.Fix = "choose a store directory you can create: --root DIR, or " + fixLocalStore(o)
	case !p.Ran:
		r.Status, r.Found = OK, "not probed"
	case p.StartErr != "":
		r.Status, r.Found = Warn, "not probed: no user namespace (see userns)"
		r.Fix = "fix the userns check first"
	case p.Overlay == "":
		r.Status, r.Found = OK, "native overlay mounts in a user namespace (kernel "+kernel+")"
	default:
		r.Status = Warn
		r.Found = "native overlay fails in a user namespace: " + p.Overlay + "; rpod falls back to fuse-overlayfs or vfs"
		if old, _ := kernelBefore(kernel, 5, 11); old {
			r.Fix = "upgrade to a kernel >= 5.11, or install fuse-overlayfs: " + installFuse
		} else {
			r.Fix = "put the store on a local ext4, xfs or btrfs filesystem: " + fixLocalStore(o)
		}
	}
	return r
}

// kernelBefore reports whether release ("6.1.0-18-amd64") is older than major.minor.
func kernelBefore(release string, major, minor int) (bool, bool) {
	var a, b int
	if n, _ := fmt.Sscanf(release, "%d.%d", &a, &b); n != 2 {
		return false, false
	}
	return a < major || (a == major && b < minor), true
}

// fuseFacts: fuse-overlayfs installed, /dev/fuse openable.
type fuseFacts struct {
	Program string // fuse-overlayfs's path, "" when missing
	DevErr  string // why /dev/fuse cannot be opened, "" when it can
}

func readFuse() fuseFacts {
	var f fuseFacts
	f.Program, _ = exec.LookPath("fuse-overlayfs")
	if err := storage.ProbeFuse(); err != nil {
		f.DevErr = err.Error()
	}
	return f
}

// installFuse installs fuse-overlayfs.
const installFuse = storage.InstallFuse

// fixFuse installs fuse-overlayfs and opens /dev/fuse to users.
const fixFuse = installFuse + "; /dev/fuse must be mode 0666: " + storage.FuseFix

func fuseVerdict(f fuseFacts, p probeResult) Result {
	r := Result{Name: "fuse", Status: OK}
	nativeOK := p.Ran && p.StartErr == "" && p.Overlay == ""
	switch {
	case f.Program != "" && f.DevErr == "":
		r.Found = f.Program + ", /dev/fuse usable"
	case nativeOK:
		what := "fuse-overlayfs not installed"
		if f.Program != "" {
			what = f.DevErr
		}
		r.Found = what + " (not needed: native overlay works)"
	default:
		r.Status, r.Fix = Warn, fixFuse
		if f.Program == "" {
			r.Found = "fuse-overlayfs not installed"
		} else {
			r.Found = f.DevErr
		}
		r.Found += ": without native overlay rpod falls back to vfs, which copies every layer"
	}
	return r
}

// checkGraphrootFS refuses filesystems the rootless store cannot live on.
func checkGraphrootFS(o Options) Result {
	fs, err := storage.FSType(o.GraphRoot)
	if err != nil {
		return Result{Name: "graphroot-fs", Status: Warn, Found: err.Error(), Fix: fixLocalStore(o)}
	}
	return fsVerdict(o, fs)
}

func fsVerdict(o Options, fs string) Result {
	r := Result{Name: "graphroot-fs", Status: OK, Found: fmt.Sprintf("%s on %s", o.GraphRoot, fs)}
	if why := storage.FSRefusal(fs); why != "" {
		r.Status = Fail
		r.Found += ": " + why
		r.Fix = fixLocalStore(o)
	} else if fs == "tmpfs" {
		r.Found += " (images and containers are lost at reboot)"
	}
	return r
}

// checkStoreDriver compares the driver the store recorded with what works now.
func checkStoreDriver(o Options, p probeResult, f fuseFacts) Result {
	d, opts, ok := storage.Recorded(o.GraphRoot)
	if o.Driver != "" {
		d, opts, ok = o.Driver, nil, true
	}
	return driverVerdict(o, d, opts, ok, p, f)
}

func driverVerdict(o Options, driver string, opts []string, recorded bool, p probeResult, f fuseFacts) Result {
	r := Result{Name: "store-driver", Status: OK}
	nativeOK := p.Ran && p.StartErr == "" && p.Overlay == ""
	probed := p.Ran && p.StartErr == ""
	mountProgram := ""
	for _, x := range opts {
		if i := strings.Index(x, "mount_program="); i >= 0 {
			mountProgram = x[i+len("mount_program="):]
		}
	}
	reset := fmt.Sprintf("start a new store: rpod unshare rm -rf %s (removes every image and container), then pull again", o.GraphRoot)
	switch {
	case !recorded:
		r.Found = "no store yet at " + o.GraphRoot + ": the first rpod probes overlay, then fuse-overlayfs, then vfs"
	case driver == "overlay" && mountProgram != "":
		r.Found = "overlay with mount program " + mountProgram
		if fault, fix := storage.MountProgramFault(mountProgram, f.DevErr); fault != "" {
			r.Status, r.Fix = Fail, fix
			r.Found += ", " + fault
		} else if nativeOK {
			r.Status, r.Fix = Warn, reset
			r.Found += ", though native overlay works now and is faster"
		}
	case driver == "overlay":
		r.Found = "overlay (native)"
		if probed && !nativeOK {
			r.Status, r.Fix = Fail, "fix the overlay check, or "+reset
			r.Found += ", but the overlay probe fails now"
		}
	case driver == "vfs":
		r.Found = "vfs"
		if nativeOK {
			r.Status, r.Fix = Warn, reset
			r.Found += ", though native overlay works now (vfs copies every layer)"
		}
	default:
		r.Found = driver
	}
	return r
}

// Space below which a pull or a container's writes are likely to fail.
const (
	lowSpace  = 1 << 30
	noSpace   = 100 << 20
	lowInodes = 10000
)

// checkDiskSpace looks at the free space and inodes under the graphroot.
func checkDiskSpace(o Options) Result {
	at := storage.ExistingAncestor(o.GraphRoot)
	var st unix.Statfs_t
	if err := unix.Statfs(at, &st); err != nil {
		return Result{Name: "disk-space", Status: Warn, Found: fmt.Sprintf("statfs %s: %v", at, err), Fix: fixLocalStore(o)}
	}
	return diskVerdict(o, at, st.Bavail*uint64(st.Bsize), st.Ffree, st.Files)
}

func diskVerdict(o Options, at string, free, inodes, totalInodes uint64) Result {
	r := Result{Name: "disk-space", Status: OK, Found: fmt.Sprintf("%s free at %s", humanBytes(free), at)}
	fix := fmt.Sprintf("free space on the filesystem of %s (rpod image prune -a, rpod container prune), or move the store: %s", at, fixLocalStore(o))
	switch {
	case free < noSpace:
		r.Status, r.Fix = Fail, fix
	case totalInodes > 0 && inodes < lowInodes:
		r.Status, r.Fix = Warn, fix
		r.Found += fmt.Sprintf(", only %d inodes free", inodes)
	case free < lowSpace:
		r.Status, r.Fix = Warn, fix
	}
	return r
}

// humanBytes writes n in the largest binary unit that keeps it >= 1.
func humanBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
