package storage

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// mountErr wraps cause as the overlay driver wraps a failed mount call.
func mountErr(cause error) error {
	return fmt.Errorf("creating overlay mount to %s, mount_data=%q: %w", "/s/overlay/abc/merged", "lowerdir=/s/overlay/l/A,upperdir=/s/overlay/abc/diff", cause)
}

func TestExplainMountOverlay(t *testing.T) {
	kernel := "the kernel refused the overlay mount of the rootfs in rpod's user namespace: operation not permitted: native overlay needs Linux 5.11 or later and a local ext4, xfs or btrfs store; otherwise install fuse-overlayfs (" + InstallFuse + ") and start a new store (rpod system check: overlay)"
	reexec := mountErr(fmt.Errorf("mountfrom re-exec output: %s: error: %w", "bad", errors.New("exit status 1")))
	mkdir := &os.PathError{Op: "mkdir", Path: "/s/overlay/abc/merged", Err: unix.ENOSPC}
	lstat := &os.PathError{Op: "lstat", Path: "/s/overlay/l/A", Err: unix.ENOENT}
	lower := fmt.Errorf("can't stat (or find?) lower layer %q: %w", "/s/overlay/l/A", lstat)
	for _, tc := range []struct {
		name, driver string
		err          error
		want         string
	}{
		{"mount call refused", "overlay", mountErr(unix.EPERM), kernel},
		{"mount helper failed", "overlay", reexec, reexec.Error() + " (rpod system check: overlay)"},
		{"mkdir out of space", "overlay", mkdir, mkdir.Error()},
		{"lower layer gone", "overlay", lower, lower.Error()},
		{"vfs", "vfs", mountErr(unix.EPERM), mountErr(unix.EPERM).Error()},
	} {
		got := explainMount(tc.driver, "", tc.err)
		if got.Error() != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		var errno unix.Errno
		if errors.As(tc.err, &errno) && !errors.Is(got, errno) {
			t.Errorf("%s: %v lost %v", tc.name, got, errno)
		}
	}
}

func TestExplainMountProgram(t *testing.T) {
	cause := mountErr(errors.New("using mount program /usr/bin/fuse-overlayfs: <stderr empty>: exit status 1"))
	got := explainMount("overlay", "/nonexistent/fuse-overlayfs", cause).Error()
	if want := "the store mounts layers with /nonexistent/fuse-overlayfs, which is missing: fix: " + InstallFuse + " (rpod system check: store-driver)"; got != want {
		t.Errorf("missing program:\n got %q\nwant %q", got, want)
	}
	prog, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// What /dev/fuse allows depends on the host: want the message of either case.
	want := cause.Error() + " (rpod system check: store-driver)"
	if derr := ProbeFuse(); derr != nil {
		want = "the store mounts layers with " + prog + ", but " + derr.Error() + ": fix: sudo chmod 0666 /dev/fuse (rpod system check: store-driver)"
	}
	if got := explainMount("overlay", prog, cause).Error(); got != want {
		t.Errorf("present program:\n got %q\nwant %q", got, want)
	}
	// Not the mount call: the fuse advice would misexplain it.
	prep := fmt.Errorf("creating overlay diff dir: %w", unix.ENOSPC)
	if got := explainMount("overlay", "/nonexistent/fuse-overlayfs", prep); got != prep {
		t.Errorf("a failure before the mount: %v, want it unchanged", got)
	}
}

func TestMountProgramFault(t *testing.T) {
	prog, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prog, devErr, fault, fix string
	}{
		{"/nonexistent/fuse-overlayfs", "", "which is missing", InstallFuse},
		{"/nonexistent/fuse-overlayfs", "/dev/fuse: permission denied", "which is missing", InstallFuse},
		{prog, "/dev/fuse: permission denied", "but /dev/fuse: permission denied", "sudo chmod 0666 /dev/fuse"},
		{prog, "", "", ""},
	} {
		if fault, fix := MountProgramFault(tc.prog, tc.devErr); fault != tc.fault || fix != tc.fix {
			t.Errorf("MountProgramFault(%q, %q) = %q, %q; want %q, %q", tc.prog, tc.devErr, fault, fix, tc.fault, tc.fix)
		}
	}
}

func TestProbeFuseNamesDevice(t *testing.T) {
	if err := ProbeFuse(); err != nil && !strings.HasPrefix(err.Error(), "/dev/fuse: ") {
		t.Errorf("ProbeFuse() = %q: want it to name /dev/fuse", err)
	}
}
