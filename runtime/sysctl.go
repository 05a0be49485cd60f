package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// The sysctls a container may set: those the kernel keeps per namespace,
// as podman and runc allow them, by the namespace that holds them.
var (
	ipcSysctls = map[string]bool{
		"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
		"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
	}
	utsSysctls = map[string]bool{"kernel.domainname": true, "kernel.hostname": true}
)

// ParseSysctl splits --sysctl NAME=VALUE and checks that NAME is one the
// container may set: namespaced, and in a namespace of its own (hostIPC and
// hostUTS are --ipc=host and --uts=host). NAME may use / as sysctl(8) does.
func ParseSysctl(kv string, hostIPC, hostUTS bool) (name, value string, err error) {
	name, value, ok := strings.Cut(kv, "=")
	if !ok || name == "" {
		return "", "", fmt.Errorf("invalid --sysctl %q: use NAME=VALUE, e.g. net.ipv4.ip_forward=1", kv)
	}
	if strings.TrimSpace(name) != name || strings.ContainsAny(name, " \t\n\x00") {
		return "", "", fmt.Errorf("invalid --sysctl %q: the name has blanks in it", kv)
	}
	if strings.Contains(name, "/") {
		name = strings.ReplaceAll(strings.Trim(name, "/"), "/", ".")
	}
	for _, c := range strings.Split(name, ".") {
		if c == "" {
			return "", "", fmt.Errorf("invalid --sysctl %q: %q is not a sysctl name", kv, name)
		}
	}
	switch {
	case ipcSysctls[name] || strings.HasPrefix(name, "fs.mqueue."):
		if hostIPC {
			return "", "", fmt.Errorf("--sysctl %s is not allowed with --ipc=host: it would change the host's IPC namespace", name)
		}
	case utsSysctls[name]:
		if hostUTS {
			return "", "", fmt.Errorf("--sysctl %s is not allowed with --uts=host: it would change the host's UTS namespace", name)
		}
	case strings.HasPrefix(name, "net."):
		// The container always has a network namespace of its own.
	default:
		return "", "", fmt.Errorf("--sysctl %s is not allowed: it is not namespaced, so it would change the whole host; a container may set kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname and kernel.domainname", name)
	}
	return name, value, nil
}

// cause is the errno under a path error, which already names the file.
func cause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
