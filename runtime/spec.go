// Package runtime runs one container: the spec built from image config and
// flags, the init step inside the new namespaces (runtime/step, in C), and
// the parent that owns the terminal, forwards signals and reports the exit
// code.
package runtime

// Spec is what the init step needs to turn a fresh set of namespaces into
// the container and exec its command. rpod sends it to the step (in C) as
// a step.Spec, with what needs rpod's packages worked out (stepspec.go).
type Spec struct {
	Rootfs   string   `json:"rootfs"`
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	Cwd      string   `json:"cwd"`
	User     string   `json:"user,omitempty"`
	Hostname string   `json:"hostname"`
	Terminal bool     `json:"terminal,omitempty"`
	// Caps is the capability set of a root process: nil means caps.Default,
	// an empty list none at all (--cap-drop ALL).
	Caps []string `json:"caps"`
	// NoNewPrivileges stops setuid binaries from gaining anything.
	NoNewPrivileges bool `json:"noNewPrivileges,omitempty"`
	// Seccomp installs the default filter unless false.
	Seccomp bool `json:"seccomp"`
	// Mounts are the user's -v, --mount and --tmpfs mounts, in order.
	Mounts []Mount `json:"mounts,omitempty"`
	// ReadOnly mounts the rootfs read-only (--read-only).
	ReadOnly bool `json:"readOnly,omitempty"`

	// Limits, devices and shared namespaces: limits.go, sysctl.go,
	// devices.go, namespaces.go.
	Ulimits []Ulimit          `json:"ulimits,omitempty"`
	ShmSize int64             `json:"shmSize,omitempty"` // bytes; 0 is podman's 64m
	Sysctls map[string]string `json:"sysctls,omitempty"`
	Devices []Device          `json:"devices,omitempty"`
	HostPID bool              `json:"hostPid,omitempty"`
	HostIPC bool              `json:"hostIpc,omitempty"`
	HostUTS bool              `json:"hostUts,omitempty"`
	// HostCgroupNS shares rpod's cgroup namespace (--cgroupns=host); else
	// the container gets one rooted at its own cgroup: cgroup.go.
	HostCgroupNS bool `json:"hostCgroupns,omitempty"`

	// --security-opt mask=, unmask= and seccomp=PROFILE: mask.go, seccompopt.go.
	MaskPaths   []string `json:"maskPaths,omitempty"`
	UnmaskPaths []string `json:"unmaskPaths,omitempty"`
	// SeccompProfile is the JSON profile the user gave, read at create time.
	SeccompProfile string `json:"seccompProfile,omitempty"`

	// Identity: --userns, --group-add, --init: usernsmode.go, groups.go, initproc.go.
	UserNS   UserNS   `json:"userns,omitempty"`
	GroupAdd []string `json:"groupAdd,omitempty"`
	Init     bool     `json:"init,omitempty"`
	InitPath string   `json:"initPath,omitempty"`

	// Network: namespaces.go, netns.go. HostNet shares rpod's network
	// namespace (--network host); NetNS is one to join (container:, ns:).
	HostNet bool   `json:"hostNet,omitempty"`
	NetNS   string `json:"netns,omitempty"`
	// EtcFiles are container paths (/etc/hosts, /etc/resolv.conf,
	// /etc/hostname) bound from the file of the same base name in EtcDir,
	// the container's EtcDirectory, where they are written at each start.
	EtcFiles []string `json:"etcFiles,omitempty"`
	EtcDir   string   `json:"etcDir,omitempty"`
	// ConsoleSize is rpod's terminal's size as the command starts, with
	// Terminal: set on the pty before the command runs (the OCI spec's
	// consoleSize), not after, when the command may have read it.
	ConsoleSize *ConsoleSize `json:"consoleSize,omitempty"`
	// ParentDeathSignal is the signal the command gets when the rpod that
	// started it dies: SIGKILL for a container, none for an exec session.
	// Set by rpod as it sends the spec; the step sets it again after
	// changing credentials, which clear it.
	ParentDeathSignal int `json:"parentDeathSignal,omitempty"`
	// AwaitNetwork: the init step waits, before it runs the command, for
	// rpod's go-ahead on the socket (goAhead), which rpod sends once it has
	// attached the container's network while the step set up the rest.
	AwaitNetwork bool `json:"awaitNetwork,omitempty"`
}

// ConsoleSize is a terminal's size in characters.
type ConsoleSize struct {
	Rows uint16 `json:"rows"`
	Cols uint16 `json:"cols"`
}

// stateFile is the container's state record in its directory; the init
// step reads another container's for --network container:.
const stateFile = "state.json"

// Exit codes that podman gives for failures before the command runs.
const (
	ExitRpodError  = 125
	ExitCannotExec = 126
	ExitNotFound   = 127
)

// syncMsg is one message from the init step to the parent.
type syncMsg struct {
	// Type is "pty" (master fd attached) or "error".
	Type string `json:"type"`
	Msg  string `json:"msg,omitempty"`
	Code int    `json:"code,omitempty"`
}

// initArg and execArg are argv[1] of the init step and of rpod exec's
// step (runtime/step).
const (
	initArg = "__rpod_init"
	execArg = "__rpod_exec"
)

// DefaultPath is the PATH a container gets when its image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
