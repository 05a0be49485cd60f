package userns

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Sysctls are the host settings that decide whether an unprivileged user may
// create user namespaces; -1 means the knob does not exist on this kernel.
type Sysctls struct {
	MaxUserNamespaces int // user.max_user_namespaces
	UnprivilegedClone int // kernel.unprivileged_userns_clone (Debian's patch, before Debian 11)
	AppArmorRestrict  int // kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+)
}

// ReadSysctls reads the three knobs from /proc/sys.
func ReadSysctls() Sysctls {
	return Sysctls{
		MaxUserNamespaces: ReadSysctlInt("user.max_user_namespaces"),
		UnprivilegedClone: ReadSysctlInt("kernel.unprivileged_userns_clone"),
		AppArmorRestrict:  ReadSysctlInt("kernel.apparmor_restrict_unprivileged_userns"),
	}
}

// ReadSysctl returns a sysctl's text (dotted name), or "" and false when absent.
func ReadSysctl(name string) (string, bool) {
	b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// ReadSysctlInt returns an integer sysctl, or -1 when it is absent or not a number.
func ReadSysctlInt(name string) int {
	s, ok := ReadSysctl(name)
	if !ok {
		return -1
	}
	return ParseSysctlInt(s)
}

// ParseSysctlInt parses a one-number sysctl value, -1 when it is not one.
func ParseSysctlInt(s string) int {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return -1
	}
	return v
}

// FixSysctl is the command that sets a sysctl now and at every boot.
func FixSysctl(name, value, file string) string {
	return fmt.Sprintf("echo '%s=%s' | sudo tee /etc/sysctl.d/%s && sudo sysctl -p /etc/sysctl.d/%s", name, value, file, file)
}

// FixAppArmor installs the AppArmor profile that lets rpod create user
// namespaces (its text is in docs/apparmor-rpod; rpod prints it for its own path).
const FixAppArmor = "rpod system check --apparmor-profile | sudo tee /etc/apparmor.d/rpod && sudo apparmor_parser -r /etc/apparmor.d/rpod"

// Verdict says whether the knobs allow unprivileged user namespaces:
// blocked is true when one of them forbids them outright; restricted when
// AppArmor lets them be created but without capabilities unless a profile
// allows rpod (only a probe can tell). found describes the readings.
func (s Sysctls) Verdict() (blocked, restricted bool, found, fix string) {
	var parts []string
	if s.MaxUserNamespaces >= 0 {
		parts = append(parts, fmt.Sprintf("user.max_user_namespaces=%d", s.MaxUserNamespaces))
	}
	if s.UnprivilegedClone >= 0 {
		parts = append(parts, fmt.Sprintf("kernel.unprivileged_userns_clone=%d", s.UnprivilegedClone))
	}
	if s.AppArmorRestrict >= 0 {
		parts = append(parts, fmt.Sprintf("kernel.apparmor_restrict_unprivileged_userns=%d", s.AppArmorRestrict))
	}
	found = strings.Join(parts, ", ")
	switch {
	case s.MaxUserNamespaces == 0:
		return true, false, found, FixSysctl("user.max_user_namespaces", "28633", "99-rpod-userns.conf")
	case s.UnprivilegedClone == 0:
		return true, false, found, FixSysctl("kernel.unprivileged_userns_clone", "1", "99-rpod-userns.conf")
	case s.AppArmorRestrict > 0:
		return false, true, found, FixAppArmor
	}
	return false, false, found, ""
}

// explainUsernsFailure names the knob that refused a new user namespace.
func explainUsernsFailure(err error) error {
	blocked, restricted, found, fix := ReadSysctls().Verdict()
	if !blocked && !restricted {
		return fmt.Errorf("%w: unprivileged user namespaces are refused on this host (%s) (rpod system check: userns)", err, found)
	}
	return fmt.Errorf("%w: unprivileged user namespaces are disabled on this host (%s): %s (rpod system check: userns)", err, found, fix)
}
