package storage

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestFSName(t *testing.T) {
	for magic, want := range map[int64]string{0xef53: "ext4", 0x6969: "nfs", 0x65735546: "fuse", 0x1021994: "tmpfs", 0xabc: "0xabc", 0x794c7630: "overlay"} {
		if got := fsName(magic); got != want {
			t.Errorf("fsName(%#x) = %q, want %q", magic, got, want)
		}
	}
}

func TestFSRefusal(t *testing.T) {
	for fs, refused := range map[string]bool{"ext4": false, "xfs": false, "btrfs": false, "tmpfs": false, "zfs": false,
		"nfs": true, "cifs": true, "smb2": true, "fuse": true, "ecryptfs": true, "overlay": true, "0x1234": false} {
		if got := FSRefusal(fs) != ""; got != refused {
			t.Errorf("FSRefusal(%q) = %q", fs, FSRefusal(fs))
		}
	}
}

func TestExistingAncestor(t *testing.T) {
	d := t.TempDir()
	for in, want := range map[string]string{d: d, filepath.Join(d, "a", "b"): d, "/nonexistent/x": "/", "rel/x": "."} {
		if got := ExistingAncestor(in); got != want {
			t.Errorf("ExistingAncestor(%q) = %q, want %q", in, got, want)
		}
	}
	if fs, err := FSType(filepath.Join(d, "new", "store")); err != nil || fs == "" {
		t.Errorf("FSType = %q, %v", fs, err)
	}
}

func TestExplainOpenFailure(t *testing.T) {
	inner := errors.New("no storage driver works here: overlay: boom")
	if err := explainOpenFailure("/home/bob/store", "ext4", inner); err != inner {
		t.Errorf("a local filesystem changed the error: %v", err)
	}
	err := explainOpenFailure("/home/bob/store", "nfs", inner)
	first := strings.SplitN(err.Error(), "\n", 2)[0]
	if !errors.Is(err, inner) || !strings.HasPrefix(first, "the store /home/bob/store is on nfs, a network filesystem") ||
		!strings.Contains(first, "storage.conf") || !strings.Contains(first, "(rpod system check: graphroot-fs)") {
		t.Errorf("explained = %v", err)
	}
}
