package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/rpod/rpod/idmap"
	"github.com/rpod/rpod/internal/account"
	"github.com/rpod/rpod/runtime/caps"
	"github.com/rpod/rpod/userns"
)

// hostSecurity is `rpod info`'s host.security, podman's fields (in its
// alphabetical order) plus the user's subordinate ID ranges.
type hostSecurity struct {
	AppArmorEnabled    bool   `json:"apparmorEnabled"`
	Capabilities       string `json:"capabilities"`
	Rootless           bool   `json:"rootless"`
	SeccompEnabled     bool   `json:"seccompEnabled"`
	SeccompProfilePath string `json:"seccompProfilePath"`
	SELinuxEnabled     bool   `json:"selinuxEnabled"`
	UsernsRanges       struct {
		UID []string `json:"uid"`
		GID []string `json:"gid"`
	} `json:"usernsRanges"`
}

// securityInfo reads the host's confinement features and the user's ranges.
func securityInfo() hostSecurity {
	var s hostSecurity
	s.Rootless = userns.Rootless()
	s.Capabilities = strings.Join(caps.Default, ",")
	s.SeccompEnabled = seccompEnabled()
	// rpod compiles its default filter in (runtime/seccomp) rather than reading podman's file.
	s.SeccompProfilePath = "builtin"
	s.AppArmorEnabled = apparmorEnabled()
	_, err := os.Stat("/sys/fs/selinux/enforce")
	s.SELinuxEnabled = err == nil
	uid, gid := userns.HostUID(), userns.HostGID()
	name := account.Name(uid)
	s.UsernsRanges.UID = subIDRanges(userns.SubIDFile("uid"), name, uid)
	s.UsernsRanges.GID = subIDRanges(userns.SubIDFile("gid"), name, gid)
	return s
}

// subIDRanges lists a user's ranges as "START:COUNT", the file's own notation.
func subIDRanges(file, name string, id int) []string {
	es, _, err := idmap.Lookup(file, name, uint32(id))
	if err != nil {
		return nil
	}
	out := []string{}
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d:%d", e.Range.Start, e.Range.Count))
	}
	return out
}

// seccompEnabled: the kernel has seccomp when /proc/self/status reports a Seccomp mode.
func seccompEnabled() bool {
	b, err := os.ReadFile("/proc/self/status")
	return err == nil && strings.Contains(string(b), "\nSeccomp:")
}

// apparmorEnabled: the module is loaded and enabled.
func apparmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.TrimSpace(string(b)) == "Y"
}
