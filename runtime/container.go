package runtime

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/sys/mountinfo"
	cstorage "go.podman.io/storage"
	"go.podman.io/storage/pkg/stringid"
	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/cgroupdelegate"
	"github.com/rpod/rpod/ctrindex"
	"github.com/rpod/rpod/internal/atomicfile"
	"github.com/rpod/rpod/internal/proc"
	"github.com/rpod/rpod/storage"
)

// Config is what a container was created with: its record in the
// container index.
type Config struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Image   string `json:"image"`
	ImageID string `json:"imageId"`
	Spec    Spec   `json:"spec"`
	Stdin   bool   `json:"stdin,omitempty"`
	// StopSignal is what rpod stop sends first (the image's, else SIGTERM).
	StopSignal string    `json:"stopSignal,omitempty"`
	AutoRemove bool      `json:"autoRemove,omitempty"`
	Created    time.Time `json:"created"`
	// StopTimeout is rpod stop's default wait before SIGKILL (--stop-timeout); nil is 10 s.
	StopTimeout *uint `json:"stopTimeout,omitempty"`
	// RestartPolicy is applied by the monitor when the command exits (--restart).
	RestartPolicy RestartPolicy `json:"restartPolicy,omitzero"`
	// LogMaxSize rotates the log past this many bytes (--log-opt max-size); 0 never.
	LogMaxSize int64 `json:"logMaxSize,omitempty"`
	// LogDriver is --log-driver: k8s-file, or none to keep no log; "" is k8s-file.
	LogDriver string `json:"logDriver,omitempty"`
	// LogFile is --log-opt path=: the log instead of ctr.log in the container's directory.
	LogFile string `json:"logFile,omitempty"`
	// LogTag is --log-opt tag=: the journald driver's CONTAINER_TAG.
	LogTag string `json:"logTag,omitempty"`
	// Healthcheck is --health-* or the image's; nil: none (health.go).
	Healthcheck *HealthConfig `json:"healthcheck,omitempty"`
	// Cgroups are --cgroups, --cgroup-parent and the resource limits (rpod update changes them).
	Cgroups cgroupdelegate.Options `json:"cgroups,omitzero"`
	// Resources are the limit flags as given, where the cgroup's values do not say them (inspect).
	Resources Resources `json:"resources,omitzero"`
	// CreateCommand is the command line that created the container (inspect, generate systemd --new).
	CreateCommand []string `json:"createCommand,omitempty"`
	// SdNotifyMode is --sdnotify: conmon, container, healthy or ignore; "" is conmon (sdnotify.go).
	SdNotifyMode string `json:"sdNotifyMode,omitempty"`
	// CIDFile is --cidfile: removed with the container, as podman does.
	CIDFile string `json:"cidFile,omitempty"`
	// Pin names the main store's container that keeps the image from
	// removal while rpod's containers use it (pin.go).
	Pin string `json:"pin,omitempty"`
	UserConfig
}

// Resources are podman's values of the limit flags that the cgroup limits
// do not keep as given.
type Resources struct {
	MemorySwap  int64  `json:"memorySwap,omitempty"`  // --memory-swap: memory plus swap; -1 unlimited
	NanoCPUs    int64  `json:"nanoCpus,omitempty"`    // --cpus × 10^9
	CPUShares   uint64 `json:"cpuShares,omitempty"`   // --cpu-shares (cpu.weight holds it converted)
	BlkioWeight uint64 `json:"blkioWeight,omitempty"` // --blkio-weight (io.weight holds it converted)
}

// State is what happened to a container.
type State struct {
	Status string `json:"status"` // created, running, exited
	Pid    int    `json:"pid,omitempty"`
	// MonitorPid is the detached monitor that owns the container, if any;
	// between two runs of a restart policy too, with MonitorStart.
	MonitorPid   int    `json:"monitorPid,omitempty"`
	MonitorStart uint64 `json:"monitorStart,omitempty"`
	// PidStart tells the container's process from a later one with its pid.
	PidStart   uint64    `json:"pidStart,omitempty"`
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt,omitempty"`
	FinishedAt time.Time `json:"finishedAt,omitempty"`
	// RestartCount is how often the monitor restarted the command since the last start.
	RestartCount uint `json:"restartCount,omitempty"`
	// CgroupPath is the leaf holding the container's processes while it runs; "" without one.
	CgroupPath string `json:"cgroupPath,omitempty"`
	// OOMKilled: the kernel's OOM killer killed a process of the container in its last run.
	OOMKilled bool `json:"oomKilled,omitempty"`
	// Paused: rpod pause froze the running container; Status stays running,
	// and ps and inspect show it as paused (ShownStatus).
	Paused bool `json:"paused,omitempty"`
	// Creating: rpod create has not yet written the container's network
	// settings and volumes; a container left so by a kill does not start (creating.go).
	Creating bool `json:"creating,omitempty"`
}

// Container is one container in the store.
type Container struct {
	Config
	// main is the store of images, through which the container was found.
	main cstorage.Store
	// index holds the container's record and its own store's directories;
	// nil for a container an older rpod made in the main store, whose
	// record is its storage metadata (legacy.go).
	index *ctrindex.Index
	own   ownStore
	// dir caches Directory for the process that created the container,
	// which knows it exists until it removes it. Others ask each time:
	// an error there is how they learn of a removal.
	dir      atomic.Pointer[string]
	keepsDir bool
}

// ownStore is the container's store, opened at its first use: most
// commands read only the container's record and state.
type ownStore struct {
	once  sync.Once
	store cstorage.Store
	err   error
}

// store returns the store that holds the container's writable layer: its
// own, or for a legacy container the main one.
func (c *Container) store() (cstorage.Store, error) {
	if c.index == nil {
		return c.main, nil
	}
	c.own.once.Do(func() {
		c.own.store, c.own.err = storage.OpenOwn(c.main, filepath.Join(c.index.Dir(c.ID), "storage"), filepath.Join(c.index.RunDir(c.ID), "storage"))
	})
	return c.own.store, c.own.err
}

// Release lets go of the container's own store, if it was opened: for a
// command that goes through many containers.
func (c *Container) Release() {
	if c.index != nil && c.own.store != nil {
		c.own.store.Free()
	}
}

// ErrNameInUse is returned by Create for a duplicate --name.
var ErrNameInUse = errors.New("name already in use")

// indexOf is the container index of the main store.
func indexOf(main cstorage.Store) *ctrindex.Index {
	return ctrindex.New(main.GraphRoot(), main.RunRoot())
}

// nameTaken returns the id of the container called name, if one is.
func nameTaken(main cstorage.Store, x *ctrindex.Index, name string) (string, bool) {
	if id, ok := x.Named(name); ok {
		return id, true
	}
	if c, err := legacyLoad(main, name); err == nil {
		return c.ID, true
	}
	return "", false
}

// Create makes the container's record and its own store with its
// writable layer; the container starts once FinishCreate records that the
// rest of its setup is written.
func Create(store cstorage.Store, cfg Config) (*Container, error) {
	x := indexOf(store)
	generated := cfg.Name == ""
	if generated {
		cfg.Name = RandomName()
		for i := 0; i < 32; i++ {
			if _, taken := nameTaken(store, x, cfg.Name); !taken {
				break
			}
			cfg.Name = RandomName()
		}
	} else if !ctrindex.ValidName(cfg.Name) {
		return nil, invalidName(cfg.Name)
	}
	if id, taken := nameTaken(store, x, cfg.Name); taken {
		return nil, nameInUse(cfg.Name, id)
	}
	cfg.Created = time.Now()
	opts, err := storageOptions(&cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ID == "" {
		cfg.ID = stringid.GenerateRandomID()
	}
	if cfg.Spec.Hostname == "" {
		cfg.Spec.Hostname = cfg.ID[:12]
	}
	if opts == nil {
		opts = &cstorage.ContainerOptions{}
	}
	cfg.Pin = pinKey(cfg.ImageID, opts)
	c := &Container{Config: cfg, main: store, index: x, keepsDir: true}
	if err := c.record(generated, opts); err != nil {
		return nil, err
	}
	// Its records go when it exits: as podman does for --rm, they are kept
	// in containers/storage's volatile files, written without a sync,
	// unless the store is nearly full.
	opts.Volatile = cfg.AutoRemove && roomForVolatile(store.GraphRoot())
	own, err := c.store()
	if err == nil {
		_, err = own.CreateContainer(cfg.ID, nil, cfg.ImageID, "", "", opts)
	}
	if err != nil {
		c.forget()
		return nil, fmt.Errorf("create container storage: %w", err)
	}
	return c, nil
}

// record writes the container's record, its name and the pin that keeps
// its image; its state says it is being created, which FinishCreate ends.
// A name rpod chose that a concurrent create took meanwhile is chosen
// again: only a name the user gave is theirs to fix.
func (c *Container) record(generated bool, opts *cstorage.ContainerOptions) (err error) {
	unlock, err := c.index.Lock()
	if err != nil {
		return err
	}
	added := false
	defer func() {
		if err != nil && added {
			c.unpin()
			c.index.Remove(c.ID, c.Name)
		}
		unlock()
		if err != nil && added {
			c.index.EmptyTrash()
		}
	}()
	for i := 0; ; i++ {
		meta, err := json.Marshal(c.Config)
		if err != nil {
			return err
		}
		err = c.index.Add(c.ID, c.Name, meta, !c.AutoRemove)
		if err == nil {
			break
		}
		if !errors.Is(err, ctrindex.ErrNameInUse) {
			return err
		}
		if !generated || i == 32 {
			if id, ok := c.index.Named(c.Name); ok {
				return nameInUse(c.Name, id)
			}
			return fmt.Errorf("the container name %q is already in use: remove that container (rpod rm %s) or choose another name: %w", c.Name, c.Name, ErrNameInUse)
		}
		c.Name = RandomName()
	}
	added = true
	if err := c.pin(opts); err != nil {
		return err
	}
	// Created but not complete: the caller ends the creation with FinishCreate.
	return c.SetState(State{Status: "created", Creating: true})
}

// forget removes the record of a container whose storage could not be made.
func (c *Container) forget() {
	c.Release()
	c.dropRecord()
}

// dropRecord takes the container's record, name, directories and own
// store away in one rename under the index lock, and deletes them after it.
func (c *Container) dropRecord() error {
	unlock, err := c.index.Lock()
	if err != nil {
		return err
	}
	if !c.index.Exists(c.ID) {
		unlock()
		return cstorage.ErrContainerUnknown // removed by another rm meanwhile
	}
	c.unpin()
	err = c.index.Remove(c.ID, c.Name)
	unlock()
	if err != nil {
		return err
	}
	return c.index.EmptyTrash()
}

func nameInUse(name, id string) error {
	return fmt.Errorf("the container name %q is already in use by %s: remove that container (rpod rm %s) or choose another name: %w", name, id[:12], name, ErrNameInUse)
}

// volatileMinFree is the free space a store needs for a volatile record.
const volatileMinFree = 16 << 20

// roomForVolatile: the store at graphRoot has room for a volatile record and
// its removal. A volatile file's first record can take a full store's last
// free block, and then its removal, written through a temporary file, does
// not fit: every later command that loads the store fails until space is
// freed. A synced file replaces a larger one and always leaves that room.
func roomForVolatile(graphRoot string) bool {
	var st unix.Statfs_t
	return unix.Statfs(graphRoot, &st) == nil && st.Bavail*uint64(st.Bsize) >= volatileMinFree
}

// DamagedError is a container whose record does not read: it can only
// be removed (LoadDamaged).
type DamagedError struct {
	ID  string
	Err error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("container %.12s: its record is damaged (%v): remove it (rpod rm %.12s)", e.ID, e.Err, e.ID)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Load finds a container by id, id prefix or name.
func Load(store cstorage.Store, idOrName string) (*Container, error) {
	x := indexOf(store)
	id, err := x.Lookup(idOrName)
	if err == nil {
		return fromIndex(store, x, id)
	}
	if errors.Is(err, ctrindex.ErrAmbiguous) {
		return nil, fmt.Errorf("no container with name or ID %q found: %w", idOrName, err)
	}
	if c, lerr := legacyLoad(store, idOrName); lerr == nil {
		return c, nil
	}
	return nil, fmt.Errorf("no container with name or ID %q found: %w", idOrName, cstorage.ErrContainerUnknown)
}

// fromIndex reads the record of container id.
func fromIndex(store cstorage.Store, x *ctrindex.Index, id string) (*Container, error) {
	b, err := x.Config(id)
	if err != nil {
		if errors.Is(err, ctrindex.ErrUnknown) {
			err = cstorage.ErrContainerUnknown
		}
		return nil, fmt.Errorf("container %.12s: %w", id, err)
	}
	var cfg Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, &DamagedError{ID: id, Err: err}
	}
	cfg.ID = id
	return &Container{Config: cfg, main: store, index: x}, nil
}

// LoadForRemoval is Load that also finds a container whose record does
// not read, for rm and run --replace: its record is lost, but its state,
// mounts and store are where they always are, and Remove takes them away.
func LoadForRemoval(store cstorage.Store, idOrName string) (*Container, error) {
	c, err := Load(store, idOrName)
	d, ok := errors.AsType[*DamagedError](err)
	if !ok {
		return c, err
	}
	x := indexOf(store)
	name, found := x.NameOf(d.ID)
	if !found {
		name = d.ID[:12]
	}
	return &Container{Config: Config{ID: d.ID, Name: name}, main: store, index: x}, nil
}

// Exists reports whether a container is called idOrName, its record damaged or not.
func Exists(store cstorage.Store, idOrName string) bool {
	_, err := LoadForRemoval(store, idOrName)
	return err == nil
}

// List returns every rpod container in the store whose record reads.
func List(store cstorage.Store) ([]*Container, error) {
	cs, _, err := Scan(store)
	return cs, err
}

// Scan returns every rpod container in the store, and those whose record
// does not read apart.
func Scan(store cstorage.Store) (cs []*Container, damaged []*DamagedError, err error) {
	x := indexOf(store)
	ids, err := x.IDs()
	if err != nil {
		return nil, nil, err
	}
	cs = make([]*Container, 0, len(ids))
	for _, id := range ids {
		c, err := fromIndex(store, x, id)
		var d *DamagedError
		switch {
		case err == nil:
			cs = append(cs, c)
		case errors.As(err, &d):
			damaged = append(damaged, d)
		}
	}
	legacy, err := legacyList(store)
	if err != nil {
		return nil, nil, err
	}
	return append(cs, legacy...), damaged, nil
}

func (c *Container) statePath() (string, error) { return c.file(stateFile) }

// Directory is the container's own directory, for its log, state and the
// files rpod writes for it.
func (c *Container) Directory() (string, error) {
	if d := c.dir.Load(); d != nil {
		return *d, nil
	}
	var dir string
	if c.index == nil {
		d, err := c.main.ContainerDirectory(c.ID)
		if err != nil {
			return "", fmt.Errorf("container directory: %w", err)
		}
		dir = d
	} else {
		if !c.index.Exists(c.ID) {
			return "", fmt.Errorf("container directory: %w", cstorage.ErrContainerUnknown)
		}
		dir = c.index.Dir(c.ID)
	}
	if c.keepsDir {
		c.dir.Store(&dir)
	}
	return dir, nil
}

// RunDirectory is the container's directory under the runroot, a tmpfs
// gone at reboot, made if need be: for what only a run needs (its /etc
// files, the rootfs mount's owner, the attach socket), as podman's runroot:
// they cost the store's disk no writes.
func (c *Container) RunDirectory() (string, error) {
	dir, err := c.runDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("container run directory: %w", err)
	}
	return dir, nil
}

// EtcDirectory is where the container's /etc files are written at each
// start (Spec.EtcDir): its run directory, but for --userns=nomap, whose
// root may only reach them through searchable directories, and the run
// directory's parent is the user's XDG_RUNTIME_DIR, which must stay 0700.
func (c *Container) EtcDirectory() (string, error) {
	if c.Spec.UserNS.Mode == UserNSNoMap {
		return c.Directory()
	}
	return c.RunDirectory()
}

// runDir is RunDirectory's path, for a reader: it may not exist.
func (c *Container) runDir() (string, error) {
	if c.index != nil {
		return filepath.Join(c.index.RunDir(c.ID), "userdata"), nil
	}
	dir, err := c.main.ContainerRunDirectory(c.ID)
	if err != nil {
		return "", fmt.Errorf("container run directory: %w", err)
	}
	return dir, nil
}

// file is the path of name in the container's directory.
func (c *Container) file(name string) (string, error) {
	dir, err := c.Directory()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// LogPath is where the container's output is logged (podman's k8s-file format).
func (c *Container) LogPath() (string, error) {
	switch {
	case c.LogDriver == "none":
		return os.DevNull, nil
	case c.LogDriver == "journald":
		return "", nil // no file: the journal holds it (ReadJournal)
	case c.LogFile != "":
		return c.LogFile, nil
	}
	return c.file("ctr.log")
}

// ShownStatus is the status as podman shows it: paused for a frozen running container.
func (s State) ShownStatus() string {
	if s.Status == "running" && s.Paused {
		return "paused"
	}
	return s.Status
}

// Running reports whether the container's process is alive.
func (c *Container) Running() bool { return c.State().Status == "running" }

// SetState records the container's state atomically.
func (c *Container) SetState(s State) error {
	p, err := c.statePath()
	if err != nil {
		return err
	}
	b, _ := json.Marshal(s)
	write := atomicfile.WriteFile
	if c.AutoRemove {
		// It goes when it exits: its state need not outlive a crash, and
		// is written without ext4's flush (its storage records, too, are
		// volatile unless the store was nearly full: Create).
		write = atomicfile.Swap
	}
	if err := write(p, b, 0o600); err != nil {
		return fmt.Errorf("write container state: %w", err)
	}
	return nil
}

// State reads the container's state; a running container whose process is
// gone is reported as exited.
func (c *Container) State() State {
	s, err := c.recorded()
	if err != nil {
		return c.lostState(err) // interrupted.go
	}
	if s.Status == "running" && s.Pid > 0 && !proc.Alive(s.Pid, s.PidStart) {
		s.Status = "exited"
		s.ExitCode = -1
		s.Paused = false
	}
	return s
}

// DefaultStopTimeout is how long rpod stop waits when -t is not given: --stop-timeout, else 10 s.
func (c *Container) DefaultStopTimeout() time.Duration {
	if c.StopTimeout != nil {
		return time.Duration(*c.StopTimeout) * time.Second
	}
	return 10 * time.Second
}

// Mount mounts the container's rootfs and returns its path.
func (c *Container) Mount() (string, error) {
	s, err := c.store()
	if err != nil {
		return "", fmt.Errorf("mount rootfs: %w", err)
	}
	p, err := s.Mount(c.ID, "")
	if err != nil {
		return "", fmt.Errorf("mount rootfs: %w", storage.ExplainMount(s, err))
	}
	if s != c.main {
		storage.ShareFeatureChecks(c.main, s) // its probes are done by now
	}
	return p, nil
}

// Unmount releases the container's rootfs mount.
func (c *Container) Unmount() error { return c.unmount(false) }

// UnmountForce is Unmount, which with force takes the mount down whatever its count.
func (c *Container) UnmountForce(force bool) error { return c.unmount(force) }

func (c *Container) unmount(force bool) error {
	s, err := c.store()
	if err == nil {
		_, err = s.Unmount(c.ID, force)
	}
	if err != nil {
		return fmt.Errorf("unmount rootfs: %w", err)
	}
	return nil
}

// Remove deletes the container's layer and record.
func (c *Container) Remove(force bool) error {
	s := c.State()
	if s.Status == "running" && !force {
		return fmt.Errorf("container %s is running: stop it first or use rpod rm -f", c.Name)
	}
	// Nor may a restart policy bring it back while it is removed.
	c.markStoppedByUser()
	c.endRestartWait(10 * time.Second)
	if force {
		c.waitStarting(10 * time.Second) // starting.go
		s = c.State()
	}
	if s.Status == "running" {
		unix.Kill(s.Pid, unix.SIGKILL)
	}
	// Only when mounted: an unmount rewrites mountpoints.json, and the
	// usual caller (run --rm, a stopped container) has unmounted already.
	// A container of the index is checked by deleteStorage, store and all.
	if c.index == nil {
		if n, err := c.Mounts(); err != nil || n > 0 {
			c.unmount(true)
		}
	}
	if c.markRemoving() { // interrupted.go
		return nil // by its --rm monitor, while rm waited for it
	}
	if err := c.deleteStorage(); err != nil {
		return fmt.Errorf("remove container %s: %w", c.Name, err)
	}
	c.removeCIDFile()
	return nil
}

// deleteStorage deletes the container's record, name, directories and its
// own store with them (dropRecord). Its state says "removing" by then
// (markRemoving), which a legacy container's record keeps if its removal
// is cut short.
func (c *Container) deleteStorage() error {
	if c.index == nil {
		return c.main.DeleteContainer(c.ID)
	}
	// The store goes whole: containers/storage's deletion of the layer
	// would rewrite its files just before they go, and needs a store that
	// can still be read. Only a mount under it must not be.
	dir := c.index.Dir(c.ID)
	if mountUnder(dir) != "" {
		c.unmount(true)
		if m := mountUnder(dir); m != "" {
			return fmt.Errorf("%s is still mounted: unmount it (rpod unshare umount %s), then remove the container again", m, m)
		}
	}
	c.Release()
	return c.dropRecord()
}

var adjectives = []string{"admiring", "bold", "brave", "busy", "calm", "clever", "cool", "dreamy", "eager", "elated", "epic", "fancy", "focused", "gentle", "happy", "hopeful", "jolly", "keen", "kind", "lucid", "magical", "merry", "modest", "nifty", "nostalgic", "peaceful", "proud", "quiet", "relaxed", "serene", "sharp", "stoic", "sweet", "tender", "trusting", "upbeat", "vibrant", "vivid", "witty", "zen"}
var nouns = []string{"babbage", "bell", "bohr", "cerf", "curie", "darwin", "dijkstra", "einstein", "euler", "faraday", "fermi", "feynman", "gauss", "goldberg", "hamilton", "hawking", "hopper", "kepler", "knuth", "lamarr", "lamport", "liskov", "lovelace", "maxwell", "meitner", "newton", "noether", "pascal", "perlman", "ride", "ritchie", "sammet", "shannon", "thompson", "torvalds", "turing", "wilson", "wing", "wozniak", "yalow"}

// RandomName returns a podman-style adjective_noun name.
func RandomName() string {
	var b [8]byte
	rand.Read(b[:])
	n := binary.LittleEndian.Uint64(b[:])
	return adjectives[n%uint64(len(adjectives))] + "_" + nouns[(n/64)%uint64(len(nouns))]
}

// mountUnder returns a mount point under dir in rpod's mount namespace, if any.
func mountUnder(dir string) string {
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return ""
	}
	for _, m := range ms {
		if m.Mountpoint != dir {
			return m.Mountpoint
		}
	}
	return ""
}
