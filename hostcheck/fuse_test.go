package hostcheck

import "testing"

// TestDriverVerdictFuseDevice pins the store-driver line for a closed
// /dev/fuse, which `rpod run` repeats: the two must keep one wording.
func TestDriverVerdictFuseDevice(t *testing.T) {
	broken := probeResult{Ran: true, Overlay: "operation not permitted"}
	fuse := fuseFacts{Program: "/usr/bin/fuse-overlayfs", DevErr: "/dev/fuse: permission denied"}
	r := driverVerdict(testOpts, "overlay", []string{"overlay.mount_program=/bin/sh"}, true, broken, fuse)
	if r.Status != Fail || r.Found != "overlay with mount program /bin/sh, but /dev/fuse: permission denied" || r.Fix != "sudo chmod 0666 /dev/fuse" {
		t.Errorf("got %s %q fix %q", r.Status, r.Found, r.Fix)
	}
	r = driverVerdict(testOpts, "overlay", []string{"overlay.mount_program=/nonexistent/fuse-overlayfs"}, true, broken, fuse)
	if r.Status != Fail || r.Found != "overlay with mount program /nonexistent/fuse-overlayfs, which is missing" || r.Fix != installFuse {
		t.Errorf("got %s %q fix %q", r.Status, r.Found, r.Fix)
	}
	if fixFuse != installFuse+"; /dev/fuse must be mode 0666: sudo chmod 0666 /dev/fuse" {
		t.Errorf("fixFuse = %q", fixFuse)
	}
}
