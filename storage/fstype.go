package storage

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fsNames names the filesystem magics a graphroot is likely to sit on.
var fsNames = map[int64]string{
	unix.EXT4_SUPER_MAGIC:      "ext4",
	unix.XFS_SUPER_MAGIC:       "xfs",
	unix.BTRFS_SUPER_MAGIC:     "btrfs",
	unix.TMPFS_MAGIC:           "tmpfs",
	0x2fc12fc1:                 "zfs",
	unix.F2FS_SUPER_MAGIC:      "f2fs",
	unix.NFS_SUPER_MAGIC:       "nfs",
	unix.SMB_SUPER_MAGIC:       "smb",
	unix.CIFS_SUPER_MAGIC:      "cifs",
	unix.SMB2_SUPER_MAGIC:      "smb2",
	unix.FUSE_SUPER_MAGIC:      "fuse",
	unix.ECRYPTFS_SUPER_MAGIC:  "ecryptfs",
	unix.OVERLAYFS_SUPER_MAGIC: "overlay",
	unix.AFS_SUPER_MAGIC:       "afs",
	unix.AFS_FS_MAGIC:          "afs",
	unix.V9FS_MAGIC:            "9p",
	unix.CEPH_SUPER_MAGIC:      "ceph",
	0x47504653:                 "gpfs",
	0x0bd00bd0:                 "lustre",
	unix.SQUASHFS_MAGIC:        "squashfs",
	0x5346544e:                 "ntfs",
	unix.MSDOS_SUPER_MAGIC:     "vfat",
}

// FSType names the filesystem path is on, or would be created on: that of
// its nearest existing ancestor.
func FSType(path string) (string, error) {
	at := ExistingAncestor(path)
	var st unix.Statfs_t
	if err := unix.Statfs(at, &st); err != nil {
		return "", fmt.Errorf("statfs %s: %w", at, err)
	}
	return fsName(int64(st.Type)), nil
}

// ExistingAncestor is p or its nearest existing parent.
func ExistingAncestor(p string) string {
	for p != "/" && p != "." {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		p = filepath.Dir(p)
	}
	return p
}

// FixLocalStore is the fix for a store on a filesystem rootless layers
// cannot live on: a storage.conf with a graphroot on local disk.
func FixLocalStore(user string) string {
	return fmt.Sprintf(`mkdir -p ~/.config/containers && printf '[storage]\ndriver = "overlay"\ngraphroot = "/var/tmp/%s/containers/storage"\n' > ~/.config/containers/storage.conf (a graphroot on a local disk; or pass --root DIR on one)`, user)
}

// fsName names a statfs f_type, or gives it in hex.
func fsName(magic int64) string {
	if n, ok := fsNames[magic]; ok {
		return n
	}
	return fmt.Sprintf("0x%x", uint64(magic))
}

// FSRefusal says why a graphroot on fs cannot hold rootless layers, or "".
func FSRefusal(fs string) string {
	switch fs {
	case "nfs", "smb", "cifs", "smb2", "afs", "9p", "ceph", "gpfs", "lustre":
		return "a network filesystem: the server refuses files owned by subordinate ids and the xattrs overlay needs"
	case "fuse":
		return "a FUSE filesystem: it cannot be overlay's upper layer, and its daemon cannot create files owned by subordinate ids"
	case "ecryptfs":
		return "ecryptfs: it cannot be overlay's upper layer"
	case "overlay":
		return "itself an overlay: overlay cannot be stacked on it as an upper layer"
	case "squashfs":
		return "read-only"
	case "vfat", "ntfs":
		return "without Unix ownership"
	}
	return ""
}

// explainOpenFailure names the graphroot-fs check when the store cannot be
// opened on a filesystem that check refuses; otherwise err is unchanged.
func explainOpenFailure(graphRoot, fs string, err error) error {
	why := FSRefusal(fs)
	if why == "" {
		return err
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "$USER"
	}
	// First, because only an error's first line is shown and err's may be several.
	return fmt.Errorf("the store %s is on %s, %s: %s (rpod system check: graphroot-fs): %w", graphRoot, fs, why, FixLocalStore(user), err)
}
