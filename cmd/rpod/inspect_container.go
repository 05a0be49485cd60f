package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	cstorage "go.podman.io/storage"
	"golang.org/x/sys/unix"

	"github.com/rpod/rpod/image"
	"github.com/rpod/rpod/netslirp"
	"github.com/rpod/rpod/runtime"
)

func init() { registerContainer(newContainerInspectCmd) }

// containerData is podman's `container inspect` JSON, for the fields rpod has.
type containerData struct {
	ID              string             `json:"Id"`
	Created         time.Time          `json:"Created"`
	Path            string             `json:"Path"`
	Args            []string           `json:"Args"`
	State           containerState     `json:"State"`
	Image           string             `json:"Image"`
	ImageName       string             `json:"ImageName"`
	Rootfs          string             `json:"Rootfs"`
	Pod             string             `json:"Pod"`
	OCIRuntime      string             `json:"OCIRuntime"`
	ConmonPidFile   string             `json:"ConmonPidFile"` // the monitor's pid, while it runs (sdnotify.go)
	Name            string             `json:"Name"`
	RestartCount    int                `json:"RestartCount"`
	Driver          string             `json:"Driver"`
	MountLabel      string             `json:"MountLabel"`
	ProcessLabel    string             `json:"ProcessLabel"`
	AppArmorProfile string             `json:"AppArmorProfile"`
	ExecIDs         []string           `json:"ExecIDs"`
	GraphDriver     graphDriver        `json:"GraphDriver"`
	Mounts          []string           `json:"Mounts"`
	LogPath         string             `json:"LogPath"`
	Config          containerConfig    `json:"Config"`
	HostConfig      containerHostConfg `json:"HostConfig"`
	NetworkSettings networkSettings    `json:"NetworkSettings"`
}

// Id is ID for templates written for docker and podman, whose {{.Id}}
// names the JSON's key.
func (d *containerData) Id() string { return d.ID }

// networkSettings is podman's NetworkSettings for what rpod has.
type networkSettings struct {
	IPAddress   string                   `json:"IPAddress"`
	IPPrefixLen int                      `json:"IPPrefixLen"`
	Gateway     string                   `json:"Gateway"`
	Ports       map[string][]portBinding `json:"Ports"`
}

type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

type containerState struct {
	OciVersion string    `json:"OciVersion"`
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Restarting bool      `json:"Restarting"`
	OOMKilled  bool      `json:"OOMKilled"`
	Dead       bool      `json:"Dead"`
	Pid        int       `json:"Pid"`
	ConmonPid  int       `json:"ConmonPid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
	// Health is the health check's state, without one none (healthcheck.go).
	Health *runtime.HealthState `json:"Health,omitempty"`
}

type containerConfig struct {
	Hostname      string            `json:"Hostname"`
	Domainname    string            `json:"Domainname"`
	User          string            `json:"User"`
	AttachStdin   bool              `json:"AttachStdin"`
	AttachStdout  bool              `json:"AttachStdout"`
	AttachStderr  bool              `json:"AttachStderr"`
	Tty           bool              `json:"Tty"`
	OpenStdin     bool              `json:"OpenStdin"`
	StdinOnce     bool              `json:"StdinOnce"`
	Env           []string          `json:"Env"`
	Cmd           []string          `json:"Cmd"`
	Image         string            `json:"Image"`
	WorkingDir    string            `json:"WorkingDir"`
	Entrypoint    []string          `json:"Entrypoint"`
	Labels        map[string]string `json:"Labels"`
	Annotations   map[string]string `json:"Annotations"`
	StopSignal    string            `json:"StopSignal"`
	StopTimeout   uint              `json:"StopTimeout"`
	CreateCommand []string          `json:"CreateCommand,omitempty"`
	SdNotifyMode  string            `json:"sdNotifyMode,omitempty"`
	healthConfig                    // healthcheck.go
}

type containerHostConfg struct {
	AutoRemove       bool                     `json:"AutoRemove"`
	RestartPolicy    restartPolicy            `json:"RestartPolicy"`
	Privileged       bool                     `json:"Privileged"`
	CapAdd           []string                 `json:"CapAdd"`
	CapDrop          []string                 `json:"CapDrop"`
	SecurityOpt      []string                 `json:"SecurityOpt"`
	GroupAdd         []string                 `json:"GroupAdd"`
	Init             bool                     `json:"Init"`
	UsernsMode       string                   `json:"UsernsMode"`
	PidMode          string                   `json:"PidMode"`
	IpcMode          string                   `json:"IpcMode"`
	UTSMode          string                   `json:"UTSMode"`
	ShmSize          int64                    `json:"ShmSize"`
	Sysctls          map[string]string        `json:"Sysctls"`
	Ulimits          []inspectUlimit          `json:"Ulimits"`
	Devices          []inspectDevice          `json:"Devices"`
	ReadonlyRootfs   bool                     `json:"ReadonlyRootfs"`
	NetworkMode      string                   `json:"NetworkMode"`
	PortBindings     map[string][]portBinding `json:"PortBindings"`
	cgroupHostConfig                          // runcgroup.go
	LogConfig        inspectLogConfig         `json:"LogConfig"` // runlog.go
}

type restartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount uint   `json:"MaximumRetryCount"`
}

type inspectUlimit struct {
	Name string `json:"Name"`
	Soft uint64 `json:"Soft"`
	Hard uint64 `json:"Hard"`
}

type inspectDevice struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

func newContainerInspectCmd() *cobra.Command {
	var format string
	var latest bool
	cmd := &cobra.Command{
		Use:   "inspect [flags] CONTAINER [CONTAINER...]",
		Short: "Show the configuration and state of containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			if latest {
				name, err := latestContainer()
				if err != nil {
					return err
				}
				args = append(args, name)
			}
			if len(args) == 0 {
				return fmt.Errorf("inspect needs at least one container name or id, or --latest")
			}
			return inspectObjects(cmd, args, format, "container")
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "a Go template such as {{.State.Status}}, or json")
	cmd.Flags().BoolVarP(&latest, "latest", "l", false, "inspect the latest created container")
	return cmd
}

// latestContainer is the id of the container created last.
func latestContainer() (string, error) {
	store, err := openStore()
	if err != nil {
		return "", err
	}
	cs, err := runtime.List(store)
	if err != nil {
		return "", err
	}
	var last *runtime.Container
	for _, c := range cs {
		if last == nil || c.Created.After(last.Created) {
			last = c
		}
	}
	if last == nil {
		return "", errors.New("no containers: --latest has nothing to pick")
	}
	return last.ID, nil
}

// inspectObjects prints each name as a container or an image, as typ
// ("container", "image", or "" and "all" for a container first, as podman) allows.
func inspectObjects(cmd *cobra.Command, names []string, format, typ string) error {
	switch typ {
	case "", "all", "container", "image":
	default:
		return fmt.Errorf("invalid --type %q: use container, image or all", typ)
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	imageNames := imageNamer(store)
	var out []any
	var errs []error
	for _, n := range names {
		if typ != "image" {
			c, err := runtime.Load(store, n)
			if err == nil {
				out = append(out, containerInspect(store, c, imageNames(c)))
				continue
			}
			if _, ok := errors.AsType[*runtime.DamagedError](err); ok {
				errs = append(errs, err)
				continue
			}
			if typ == "container" {
				errs = append(errs, fmt.Errorf("no such container %q", n))
				continue
			}
		}
		img, _, err := image.Resolve(store, image.SystemContext(), n)
		if err != nil {
			if errors.Is(err, image.ErrNotFound) {
				if typ == "image" {
					err = fmt.Errorf("%s: image not known", n)
				} else {
					err = fmt.Errorf("no such object: %q", n)
				}
			}
			errs = append(errs, err)
			continue
		}
		d, err := inspectData(cmd, store, img)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, d)
	}
	if format == "" || format == "json" {
		if out == nil {
			out = []any{}
		}
		if err := writeJSON(os.Stdout, out); err != nil {
			return err
		}
	} else if err := printTable(os.Stdout, format, nil, out, true); err != nil {
		return err
	}
	if len(errs) > 0 {
		for _, e := range errs[:len(errs)-1] {
			fmt.Fprintf(os.Stderr, "Error: %v\n", e)
		}
		return errs[len(errs)-1]
	}
	return nil
}

func containerInspect(store cstorage.Store, c *runtime.Container, imageName string) *containerData {
	st := c.State()
	d := &containerData{
		ID: c.ID, Created: c.Created, Args: []string{}, Image: c.ImageID, ImageName: imageName,
		OCIRuntime: "rpod", Name: c.Name, Driver: store.GraphDriverName(), ExecIDs: []string{},
		GraphDriver: graphDriver{Name: store.GraphDriverName()}, Mounts: []string{},
		State: containerState{
			Status: st.ShownStatus(), Running: st.ShownStatus() == "running", Dead: st.Status == "unknown",
			Paused: st.ShownStatus() == "paused", OOMKilled: st.OOMKilled,
			ExitCode: st.ExitCode, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt,
		},
		Config: containerConfig{
			Hostname: c.Spec.Hostname, User: c.Spec.User, Tty: c.Spec.Terminal, OpenStdin: c.Stdin,
			AttachStdin: c.Stdin, StdinOnce: c.Stdin, Env: nonNil(c.Spec.Env), Cmd: nonNil(inspectCmd(c)),
			Image: imageName, WorkingDir: c.Spec.Cwd, Entrypoint: nonNil(c.Entrypoint), Labels: nonNilMap(c.Labels),
			Annotations: nonNilMap(c.Annotations), StopSignal: c.StopSignal,
		},
		HostConfig:   hostConfig(c),
		RestartCount: int(st.RestartCount),
	}
	d.Config.StopTimeout = uint(c.DefaultStopTimeout() / time.Second)
	d.Config.CreateCommand, d.Config.SdNotifyMode = c.CreateCommand, c.SdNotifyMode
	d.ConmonPidFile, _ = c.MonitorPidFile()
	d.State.Health, d.Config.healthConfig = inspectHealth(c) // healthcheck.go
	d.HostConfig.LogConfig = logConfigOf(c)                  // runlog.go
	d.NetworkSettings.Ports = map[string][]portBinding{}
	d.HostConfig.PortBindings = map[string][]portBinding{}
	if ncfg, err := loadNetwork(c); err == nil {
		d.HostConfig.NetworkMode = ncfg.Mode
		if b := ncfg.Backend(); (b == netslirp.ModeEmbedded || b == netslirp.ModeSlirp4netns) && ncfg.Options["cidr"] == "" {
			d.NetworkSettings.IPAddress, d.NetworkSettings.IPPrefixLen, d.NetworkSettings.Gateway = netslirp.EmbeddedContainerIP, 24, netslirp.EmbeddedGateway
		}
		for _, p := range ncfg.Ports {
			key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
			b := portBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(int(p.HostPort))}
			d.HostConfig.PortBindings[key] = append(d.HostConfig.PortBindings[key], b)
			if st.Status == "running" && p.HostPort != 0 {
				d.NetworkSettings.Ports[key] = append(d.NetworkSettings.Ports[key], b)
			}
		}
	}
	if d.Config.StopSignal == "" {
		d.Config.StopSignal = "SIGTERM"
	} else if sig, err := runtime.ParseSignal(d.Config.StopSignal); err == nil && unix.SignalName(sig) != "" {
		d.Config.StopSignal = unix.SignalName(sig)
	}
	if d.Config.WorkingDir == "" {
		d.Config.WorkingDir = "/"
	}
	if st.Status == "running" {
		d.State.Pid, d.State.ConmonPid = st.Pid, st.MonitorPid
	}
	if len(c.Spec.Args) > 0 {
		d.Path, d.Args = c.Spec.Args[0], nonNil(c.Spec.Args[1:])
	}
	if p, err := c.LogPath(); err == nil {
		d.LogPath = p
	}
	if ls, err := c.Store(); err == nil {
		defer c.Release() // inspect may go through many containers
		if sc, err := ls.Container(c.ID); err == nil {
			if drv, err := ls.GraphDriver(); err == nil {
				if md, err := drv.Metadata(sc.LayerID); err == nil {
					d.GraphDriver.Data = md
				}
			}
			d.MountLabel = sc.MountLabel()
		}
	}
	return d
}

// inspectCmd is the container's command without its entrypoint; records
// written before the two were kept apart show the whole argv.
func inspectCmd(c *runtime.Container) []string {
	if c.Entrypoint == nil && c.Command == nil {
		return c.Spec.Args
	}
	return c.Command
}

// hostConfig is podman's HostConfig for the settings rpod has.
func hostConfig(c *runtime.Container) containerHostConfg {
	s := c.Spec
	mode := func(host bool) string {
		if host {
			return "host"
		}
		return "private"
	}
	shm := s.ShmSize
	if shm == 0 && !s.HostIPC {
		shm = 64 << 20
	}
	h := containerHostConfg{
		AutoRemove: c.AutoRemove, RestartPolicy: restartPolicy{Name: c.RestartPolicy.Name, MaximumRetryCount: c.RestartPolicy.MaxRetries},
		CapAdd: []string{}, CapDrop: []string{}, SecurityOpt: []string{}, GroupAdd: nonNil(s.GroupAdd), Init: s.Init,
		UsernsMode: s.UserNS.String(), PidMode: mode(s.HostPID), IpcMode: mode(s.HostIPC), UTSMode: mode(s.HostUTS),
		ShmSize: shm, Sysctls: nonNilMap(s.Sysctls), Ulimits: []inspectUlimit{}, Devices: []inspectDevice{},
		ReadonlyRootfs: s.ReadOnly,
	}
	if h.RestartPolicy.Name == "" {
		h.RestartPolicy.Name = "no"
	}
	h.Privileged = !s.Seccomp && len(s.Caps) == 1 && s.Caps[0] == "ALL"
	if s.NoNewPrivileges {
		h.SecurityOpt = append(h.SecurityOpt, "no-new-privileges")
	}
	if !s.Seccomp && !h.Privileged {
		h.SecurityOpt = append(h.SecurityOpt, "seccomp=unconfined")
	}
	for _, u := range s.Ulimits {
		h.Ulimits = append(h.Ulimits, inspectUlimit{Name: "RLIMIT_" + strings.ToUpper(u.Name), Soft: u.Soft, Hard: u.Hard})
	}
	for _, d := range s.Devices {
		h.Devices = append(h.Devices, inspectDevice{PathOnHost: d.Source, PathInContainer: d.Destination, CgroupPermissions: d.Permissions})
	}
	h.cgroupHostConfig = inspectCgroups(c)
	return h
}
