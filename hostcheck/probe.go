package hostcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.podman.io/storage/pkg/reexec"
	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/storage"
)

// probeTimeout bounds the probe child.
const probeTimeout = 60 * time.Second

// probeName is the re-execution entry point of the probe child.
const probeName = "rpod-hostcheck-probe"

func init() { reexec.Register(probeName, probeMain) }

// probeResult is what a child in a fresh user+mount namespace could do.
type probeResult struct {
	Ran      bool   `json:"-"`
	GraphErr string `json:"-"`                    // no scratch directory could be made under the graphroot
	StartErr string `json:"-"`                    // the user namespace could not be created
	MountErr string `json:"mountErr,omitempty"`   // tmpfs would not mount in it (AppArmor, for one)
	Overlay  string `json:"overlayErr,omitempty"` // native overlay's test mount failed
}

// probe creates a user namespace with a single-ID map (no helpers needed,
// so this tests the kernel alone) and tries rpod's own overlay probe in it,
// in a scratch directory under the graphroot, on the store's filesystem.
func probe(o Options) probeResult {
	var p probeResult
	// The store creates its graphroot too: making it here is no extra trace.
	if err := os.MkdirAll(o.GraphRoot, 0o700); err != nil {
		p.GraphErr = err.Error()
		return p
	}
	dir, err := os.MkdirTemp(o.GraphRoot, ".rpod-check-")
	if err != nil {
		p.GraphErr = err.Error()
		return p
	}
	defer os.RemoveAll(dir)
	cmd := reexec.Command(probeName, dir)
	cmd.Env = append(os.Environ(),
		"_CONTAINERS_ROOTLESS_UID="+strconv.Itoa(o.UID),
		"_CONTAINERS_ROOTLESS_GID="+strconv.Itoa(o.GID),
		"_CONTAINERS_USERNS_CONFIGURED=done")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	var buf bytes.Buffer
	cmd.Stdout = &buf // stderr discarded: containers/storage logs there
	p.Ran = true
	if err := cmd.Start(); err != nil {
		p.StartErr = err.Error()
		return p
	}
	// A mount that hangs (a dead NFS server) must not hang the check.
	t := time.AfterFunc(probeTimeout, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	t.Stop()
	out := buf.Bytes()
	if err != nil && len(out) == 0 {
		p.StartErr = "probe: " + err.Error()
		return p
	}
	if err := json.Unmarshal(out, &p); err != nil {
		p.StartErr = fmt.Sprintf("probe said %q: %v", out, err)
	}
	return p
}

// probeMain runs in the child, root in its own user namespace.
func probeMain() {
	dir := os.Args[1]
	var p probeResult
	tm := filepath.Join(dir, "tmpfs")
	if err := os.Mkdir(tm, 0o700); err != nil {
		p.MountErr = err.Error()
	} else if err := unix.Mount("none", tm, "tmpfs", 0, ""); err != nil {
		p.MountErr = "mount tmpfs: " + err.Error()
	} else {
		unix.Unmount(tm, unix.MNT_DETACH)
	}
	if p.MountErr == "" {
		if err := storage.ProbeOverlay(filepath.Join(dir, "graph"), filepath.Join(dir, "run")); err != nil {
			p.Overlay = err.Error()
		}
	} else {
		p.Overlay = "not tried: " + p.MountErr
	}
	json.NewEncoder(os.Stdout).Encode(p)
	os.Exit(0)
}
