#!/usr/bin/env bash
# build-image.sh: builds the Debian 12 guest that run-in-vm boots, for the
# tests that need what this kind of host may lack: pure cgroup v2, systemd as
# PID 1, a lingering user with its own systemd instance and session bus.
#
# Needs root (debootstrap, chroot); installs its host tools with apt-get.
# Does nothing when the image in the cache was built from the same inputs
# (this script and tests/vm/guest/*, comments aside); --force rebuilds.
#
# Cache: ${RPOD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rpod-vm}; under sudo,
# the calling user's cache, left owned by that user (run-in-vm needs no root).
# It holds root.img (sparse ext4, booted as a throwaway snapshot), vmlinux
# (the kernel, uncompressed: QEMU boots it through its PVH entry, seconds
# faster than decompressing under TCG), initrd (busybox; loads virtio-blk and
# ext4, mounts the root and hands over to systemd) and stamp.
#
# RPOD_VM_MIRROR overrides the Debian mirror (default: the host apt's own).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
owner=
if [ -z "${RPOD_VM_CACHE:-}" ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  owner=$SUDO_USER
  RPOD_VM_CACHE=$(getent passwd "$SUDO_USER" | cut -d: -f6)/.cache/rpod-vm
fi
CACHE=${RPOD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rpod-vm}
SUITE=bookworm
HOST_TOOLS="debootstrap e2fsprogs xz-utils qemu-system-x86"
# What rpod's tests drive inside the guest; docker-registry is for the test
# fixture (its system service is disabled below).
GUEST_PKGS="systemd-sysv dbus-user-session libpam-systemd systemd-container kmod procps iproute2
  uidmap fuse-overlayfs fuse3 slirp4netns passt busybox-static docker-registry catatonit ca-certificates"

log() { echo "build-image: $*" >&2; }

stamp=$(grep -hv '^[[:space:]]*#' "$0" "$here"/guest/* | sha256sum | cut -c1-16)
current() { [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$stamp" ] && [ -s "$CACHE/root.img" ]; }
if [ "${1:-}" != --force ] && current; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  log "the image in $CACHE is missing or out of date; building it needs root: sudo $0"
  exit 1
fi

if [ -n "$owner" ]; then runuser -u "$owner" -- mkdir -p "$CACHE"; else mkdir -p "$CACHE"; fi
exec 9>"$CACHE/.lock"
flock 9 # a second build waits for the first, then finds the stamp current
if [ "${1:-}" != --force ] && current; then
  exit 0
fi
t0=$SECONDS
export DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

missing=$(for p in $HOST_TOOLS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  log "installing host tools:" $missing
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
mirror=${RPOD_VM_MIRROR:-$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' \
  'Label: Debian' "Release: $SUITE" 'Component: main' 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian/}
# debootstrap fetches with wget, which follows http_proxy but not apt's own setting.
eval "$(apt-config shell APT_PROXY Acquire::http::Proxy)"
if [ -n "${APT_PROXY:-}" ] && [ -z "${http_proxy:-}" ]; then export http_proxy=$APT_PROXY; fi

work=$(mktemp -d "$CACHE/build.XXXXXX")
R=$work/root
cleanup() {
  if mountpoint -q "$R/proc" 2>/dev/null; then umount "$R/proc"; fi
  rm -rf "$work"
}
trap cleanup EXIT
in_root() { chroot "$R" "$@" >>"$work/log" 2>&1 || { tail -n 30 "$work/log" >&2; exit 1; }; }

log "debootstrap $SUITE from $mirror"
t=$SECONDS
debootstrap --variant=minbase "$SUITE" "$R" "$mirror" >"$work/log" 2>&1 || { tail -n 30 "$work/log" >&2; exit 1; }
log "base system in $((SECONDS - t))s; installing the guest packages"
t=$SECONDS
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d" # start no service in the chroot
chmod 0755 "$R/usr/sbin/policy-rc.d"
mount -t proc proc "$R/proc"
# shellcheck disable=SC2086
in_root apt-get install -y -qq --no-install-recommends $GUEST_PKGS
# The kernel is unpacked, not installed: installing runs initramfs-tools,
# which the guest does not use (it boots the initrd made below).
kpkg=$(chroot "$R" apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
in_root sh -c "cd /tmp && apt-get download -qq $kpkg"
# Not over $R: tar would replace the /lib symlink (merged /usr) with a directory.
dpkg-deb -x "$R"/tmp/"$kpkg"_*.deb "$work/kernel"
mkdir -p "$R/usr/lib/modules" && mv "$work"/kernel/lib/modules/* "$R/usr/lib/modules/"
rm -f "$R"/tmp/*.deb
umount "$R/proc"
rm -f "$R/usr/sbin/policy-rc.d"
kver=$(ls "$R/lib/modules")
log "packages and kernel $kver in $((SECONDS - t))s"

# Hardware a VM does not have: half the modules.
m=$R/lib/modules/$kver/kernel
rm -rf "$m/sound" "$m/drivers/"{gpu,media,infiniband,staging,net/wireless,net/ethernet,bluetooth,iio,isdn,usb,hid,input,mmc,mtd,video}
in_root depmod "$kver"

# The kernel: Debian's bzImage wraps an xz-compressed ELF vmlinux with a PVH note.
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-*)
off=$(grep -abo $'\xfd7zXZ' "$vmlinuz" | head -n 1 | cut -d: -f1)
tail -c +$((off + 1)) "$vmlinuz" | xz -dcq >"$work/vmlinux" 2>/dev/null || true # trailing data after the stream
[ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { log "no ELF kernel in $vmlinuz"; exit 1; }

# The initrd: busybox and the modules to reach an ext4 root on virtio-blk.
i=$R/tmp/initrd
mkdir -p "$i/bin" "$i/dev" "$i/root" "$i/lib"
cp "$R/bin/busybox" "$i/bin/"
for mod in virtio_pci virtio_blk ext4; do
  chroot "$R" modprobe -S "$kver" --show-depends "$mod"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
  cp "$R$ko" "$i/lib/" && basename "$ko" >>"$i/lib/order"
done
install -m 0755 "$here/guest/initrd-init" "$i/init"
chroot "$R" sh -c 'cd /tmp/initrd && find . | busybox cpio -o -H newc 2>/dev/null' >"$work/initrd"
rm -rf "$i" "$work/kernel" "$R"/var/cache/apt/archives/*.deb

# The guest's configuration.
echo rpod-guest >"$R/etc/hostname"
printf '127.0.0.1 localhost rpod-guest\n::1 localhost\n' >"$R/etc/hosts"
: >"$R/etc/fstab"
: >"$R/etc/machine-id" # empty: systemd makes one per boot
in_root useradd -m -u 1000 -U -s /bin/bash guest
# rpod logs reads the journald driver's lines through journalctl: the volatile
# journal is readable by this group only.
in_root usermod -aG systemd-journal guest
echo guest:100000:65536 >"$R/etc/subuid"
echo guest:100000:65536 >"$R/etc/subgid"
# As distributions' udev rules make them (the guest runs no udev): tun for
# rootless networks, fuse for fuse-overlayfs. Sorts before static-nodes.conf.
mkdir -p "$R/etc/tmpfiles.d" && printf 'c /dev/net/tun 0666 root root - 10:200\nc /dev/fuse 0666 root root - 10:229\n' >"$R/etc/tmpfiles.d/rpod-dev.conf"
mkdir -p "$R/var/lib/systemd/linger" && touch "$R/var/lib/systemd/linger/guest" # user@1000.service from boot
install -D -m 0755 "$here/guest/delegate-generator" "$R/etc/systemd/system-generators/rpod-delegate"
install -D -m 0755 "$here/guest/rpod-run" "$R/usr/local/sbin/rpod-run"
install -D -m 0644 "$here/guest/rpod-run.service" "$R/etc/systemd/system/rpod-run.service"
in_root systemctl enable rpod-run.service
in_root systemctl disable docker-registry.service # the fixture starts its own
# Boot only what a test needs (each unit costs under TCG): no gettys, periodic
# jobs, journal on disk, or generators with nothing to find.
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$R/etc/systemd/journald.conf.d/volatile.conf"
in_root systemctl mask getty.target console-getty.service serial-getty@.service \
  systemd-update-utmp.service systemd-update-utmp-runlevel.service modprobe@drm.service \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
  e2scrub_reap.service systemd-pstore.service
for g in cryptsetup gpt-auto hibernate-resume integritysetup veritysetup system-update sysv rc-local getty; do
  ln -sf /dev/null "$R/etc/systemd/system-generators/systemd-$g-generator"
done

log "writing root.img"
mkfs.ext4 -q -F -L rpod-guest -d "$R" "$work/root.img" 4G >/dev/null
for f in vmlinux initrd root.img; do mv -f "$work/$f" "$CACHE/$f"; done
echo "$stamp" >"$CACHE/stamp"
if [ -n "$owner" ]; then chown -R "$owner:" "$CACHE"; fi
log "done in $((SECONDS - t0))s: $CACHE ($(cd "$CACHE" && du -shc root.img vmlinux initrd | tail -n 1 | cut -f1) on disk)"
