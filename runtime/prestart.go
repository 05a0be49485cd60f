package runtime

import (
	goruntime "runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Prestarted is a container's init step started before the container is
// created: its clone of the namespaces, its exec and the runtime's start
// (some 8 ms) overlap rpod's work on the store, and it waits for its spec
// on its socket.
type Prestarted struct {
	ready    chan struct{} // closed once child is started, or failed to
	child    *spawned
	catch    chan struct{} // closed by CatchSignals
	caught   sync.Once
	flags    uintptr
	terminal bool
	stdio    Stdio
}

// Prestart starts the init step, in the background, for a container whose
// namespaces spec already says (its flags' part); nil when the namespaces
// need the container's record first (a nested user namespace's maps).
func Prestart(spec *Spec, stdio Stdio) *Prestarted {
	if !prestartable(spec) {
		return nil
	}
	attr := startAttr(spec)
	p := &Prestarted{ready: make(chan struct{}), catch: make(chan struct{}), flags: attr.Cloneflags, terminal: spec.Terminal, stdio: stdio}
	go func() {
		// The child's Pdeathsig follows this goroutine's thread, which
		// spawnChild locks: it stays until the child is reaped.
		c, err := spawnChild(initArg, "container", nil, attr, p.terminal, stdio)
		if err != nil {
			close(p.ready) // Start tries again and says why
			return
		}
		c.catchSignals(p.catch)
		p.child = c
		if !c.thread.locked {
			close(p.ready)
			return
		}
		release := make(chan struct{})
		c.thread.release = release
		close(p.ready)
		<-release
		goruntime.UnlockOSThread()
	}()
	return p
}

// CatchSignals has the signals rpod receives from now on forwarded to
// the container once its command runs; before, they act as on any command:
// a ^C during the image's pull stops rpod, as it does podman. Call it once
// the image is in the store; nil is none.
func (p *Prestarted) CatchSignals() {
	if p != nil {
		p.caught.Do(func() { close(p.catch) })
	}
}

// take waits for the init step and hands it over, once; nil if none.
func (p *Prestarted) take() *spawned {
	if p == nil || p.ready == nil {
		return nil
	}
	p.CatchSignals()
	<-p.ready
	c := p.child
	p.child, p.ready = nil, nil
	return c
}

// Abort kills a prestarted init step that will not be used; nil is none.
func (p *Prestarted) Abort() {
	if c := p.take(); c != nil {
		c.abort()
	}
}

// StartPrestarted is Start with the init step p started, when p's
// namespaces and streams are still spec's; otherwise p is dropped and
// the init step started afresh.
func StartPrestarted(p *Prestarted, spec *Spec, stdio Stdio, hooks Hooks) (*Process, error) {
	if p == nil || !prestartable(spec) || namespaceFlags(spec) != p.flags || spec.Terminal != p.terminal || stdio != p.stdio {
		p.Abort()
		return Start(spec, stdio, hooks)
	}
	c := p.take()
	if c == nil {
		return Start(spec, stdio, hooks)
	}
	// The init step's namespace was cloned before the rootfs was
	// mounted: it gets a clone of the mount (kernel 5.2+, else it is
	// started afresh).
	tree, err := unix.OpenTree(unix.AT_FDCWD, spec.Rootfs, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		c.abort()
		return Start(spec, stdio, hooks)
	}
	defer unix.Close(tree)
	return c.finish(spec, tree, hooks)
}

// prestartable: the init step of spec can be cloned before the container
// is created; a nested user namespace's maps come with its record, and
// --network ns: is left to the usual start.
func prestartable(spec *Spec) bool { return !spec.UserNS.nested() && spec.NetNS == "" }

// startAttr is how the init step is cloned for spec, but for a nested
// user namespace (userNamespace).
func startAttr(spec *Spec) *syscall.SysProcAttr {
	// Its own session: the terminal's ^C reaches rpod, which forwards it
	// once, as podman's sig-proxy does. Pdeathsig: an init step, and the
	// command it execs, do not outlive the rpod that started it (a
	// prestarted one waits for its spec); the step sets it again after
	// changing uid (rearmParentDeath).
	return &syscall.SysProcAttr{Cloneflags: namespaceFlags(spec), Setsid: true, Pdeathsig: unix.SIGKILL}
}
