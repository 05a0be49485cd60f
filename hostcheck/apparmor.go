package hostcheck

import "fmt"

// DocProfilePath is where docs/apparmor-rpod assumes rpod is installed.
const DocProfilePath = "/usr/local/bin/rpod"

// AppArmorProfile is the profile that lets the rpod binary at exe create
// user namespaces where kernel.apparmor_restrict_unprivileged_userns=1
// (Ubuntu 23.10 and later); docs/apparmor-rpod is this for DocProfilePath.
// The profile is unconfined otherwise, as Ubuntu's own ones for podman and
// buildah are: it grants userns and takes nothing away.
func AppArmorProfile(exe string) string {
	return fmt.Sprintf(`# AppArmor profile for rpod: allows unprivileged user namespaces, which
# kernel.apparmor_restrict_unprivileged_userns=1 (Ubuntu 23.10 and later)
# denies to binaries without a profile. Install it with:
#   rpod system check --apparmor-profile | sudo tee /etc/apparmor.d/rpod
#   sudo apparmor_parser -r /etc/apparmor.d/rpod
# rpod prints it with the path of the binary that runs; this copy is for %s.
abi <abi/4.0>,

include <tunables/global>

profile rpod %s flags=(unconfined) {
  userns,

  # Site-specific additions and overrides. See local/README for details.
  include if exists <local/rpod>
}
`, exe, exe)
}
