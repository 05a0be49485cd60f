#!/usr/bin/env bash
# Runs rpod's benchmarks (bench/startup, bench/pull, bench/images,
# bench/monitor, bench/network) as an unprivileged user.
#
#   bash bench/run.sh [startup|pull|images|monitor|network|all] [flags of the benchmark program]
#
# The default is all: the five programs one after the other, each given the
# same flags. As root: builds rpod and the benchmarks, installs the missing
# Debian packages they need, makes sure the unprivileged user (RPOD_BENCH_USER,
# default rpodtest) exists with subordinate ids, and runs the benchmarks as
# that user with a clean environment. As an ordinary user: builds and runs
# them directly.
set -euo pipefail

cd "$(dirname "$0")/.."
tags="exclude_graphdriver_btrfs containers_image_openpgp"
user="${RPOD_BENCH_USER:-rpodtest}"
packages=(podman runc bubblewrap uidmap docker-registry busybox-static time skopeo iperf3 slirp4netns passt)

case "${1:-all}" in
startup | pull | images | monitor | network) benches=("$1"); shift ;;
all) benches=(startup pull images monitor network); shift || true ;;
-*) benches=(startup pull images monitor network) ;;
*)
	echo "bench: unknown benchmark '$1': want startup, pull, images, monitor, network or all" >&2
	exit 2
	;;
esac

bindir="$(mktemp -d /tmp/rpod-bench-bin.XXXXXX)"
trap 'rm -rf "$bindir"' EXIT
chmod 755 "$bindir"

echo "bench: building rpod and bench/{${benches[*]}} into $bindir" >&2
go build -buildvcs=false -tags "$tags" -o "$bindir/rpod" ./cmd/rpod
chmod 755 "$bindir/rpod"
for b in "${benches[@]}"; do
	go build -buildvcs=false -tags "$tags" -o "$bindir/$b" "./bench/$b"
	chmod 755 "$bindir/$b"
done

# run_all runs every selected benchmark with the command prefix given, and
# fails if any of them failed (after running the others).
run_all() {
	local status=0 b
	for b in "${benches[@]}"; do
		"$@" "$bindir/$b" -rpod "$bindir/rpod" "${flags[@]}" || status=$?
	done
	return "$status"
}
flags=("$@")

if [ "$(id -u)" -ne 0 ]; then
	status=0
	run_all || status=$?
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
status=0
run_all runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin || status=$?
exit "$status"
