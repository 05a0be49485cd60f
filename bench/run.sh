#!/usr/bin/env bash
# Runs rpod's startup benchmark (bench/startup) as an unprivileged user.
#
#   bash bench/run.sh [-n N] [other flags of bench/startup]
#
# As root: builds rpod and the benchmark, installs the missing Debian packages
# it needs, makes sure the unprivileged user (RPOD_BENCH_USER, default
# rpodtest) exists with subordinate ids, and runs the benchmark as that user
# with a clean environment. As an ordinary user: builds and runs it directly.
set -euo pipefail

cd "$(dirname "$0")/.."
tags="exclude_graphdriver_btrfs containers_image_openpgp"
user="${RPOD_BENCH_USER:-rpodtest}"
packages=(podman runc bubblewrap uidmap docker-registry busybox-static time)

bindir="$(mktemp -d /tmp/rpod-bench-bin.XXXXXX)"
trap 'rm -rf "$bindir"' EXIT
chmod 755 "$bindir"

echo "bench: building rpod and bench/startup into $bindir" >&2
go build -buildvcs=false -tags "$tags" -o "$bindir/rpod" ./cmd/rpod
go build -buildvcs=false -tags "$tags" -o "$bindir/startup" ./bench/startup
chmod 755 "$bindir/rpod" "$bindir/startup"

if [ "$(id -u)" -ne 0 ]; then
	status=0
	"$bindir/startup" -rpod "$bindir/rpod" "$@" || status=$?
	exit "$status"
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "bench: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y "${missing[@]}" || { apt-get update && apt-get install -y "${missing[@]}"; }
fi

if ! id -u "$user" >/dev/null 2>&1; then
	echo "bench: creating user $user" >&2
	useradd -m "$user"
fi
if ! grep -q "^$user:" /etc/subuid; then
	usermod --add-subuids 100000-165535 "$user"
fi
if ! grep -q "^$user:" /etc/subgid; then
	usermod --add-subgids 100000-165535 "$user"
fi

home="$(getent passwd "$user" | cut -d: -f6)"
# Run from / so that no command trips over a working directory the user cannot read.
cd /
runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	"$bindir/startup" -rpod "$bindir/rpod" "$@"
