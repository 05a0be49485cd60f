#!/usr/bin/env bash
# Runs rpod's benchmarks as an unprivileged user and ends with a summary of
# every issue 9 goal they measured.
#
#   bash bench/run.sh [NAME|all] [flags of the benchmark programs]
#
# NAME is one of startup, exec, pull, images, scale (also: monitor, its old
# name), growth, network. The default is all: every program one after the
# other, each given the same flags (-quick and -n are understood by all of
# them: `bash bench/run.sh -quick` is a sanity run of everything). As root:
# builds rpod and the benchmarks, installs the missing Debian packages they
# need, makes sure the unprivileged user (RPOD_BENCH_USER, default rpodtest)
# exists with subordinate ids, and runs the benchmarks as that user with a
# clean environment. As an ordinary user: builds and runs them directly.
set -euo pipefail

cd "$(dirname "$0")/.."
tags="exclude_graphdriver_btrfs containers_image_openpgp"
user="${RPOD_BENCH_USER:-rpodtest}"
packages=(podman runc bubblewrap uidmap docker-registry busybox-static time skopeo iperf3 slirp4netns passt strace)
all=(startup exec scale growth images pull network)

case "${1:-all}" in
startup | exec | pull | images | scale | growth | network) benches=("$1"); shift ;;
monitor) benches=(scale); shift ;;
all) benches=("${all[@]}"); shift || true ;;
-*) benches=("${all[@]}") ;;
*)
	echo "bench: unknown benchmark '$1': want ${all[*]} or all" >&2
	exit 2
	;;
esac

bindir="$(mktemp -d /tmp/rpod-bench-bin.XXXXXX)"
trap 'rm -rf "$bindir"' EXIT
chmod 755 "$bindir"

echo "bench: building rpod and bench/{${benches[*]}} into $bindir" >&2
# rpod as `make build` builds it (with its init step embedded, when the
# Makefile does that: it then takes BIN); a plain go build otherwise.
if grep -q '^BIN ' Makefile; then
	make --no-print-directory build BIN="$bindir/rpod"
else
	go build -buildvcs=false -tags "$tags" -o "$bindir/rpod" ./cmd/rpod
fi
chmod 755 "$bindir/rpod"
for b in "${benches[@]}"; do
	go build -buildvcs=false -tags "$tags" -o "$bindir/$b" "./bench/$b"
	chmod 755 "$bindir/$b"
done

# run_all runs every selected benchmark with the command prefix given, keeps
# a copy of each one's output for the summary, prints the summary of the
# goal lines, and fails if any of them failed (after running the others).
run_all() {
	local status=0 b rc
	for b in "${benches[@]}"; do
		echo "bench: === $b ===" >&2
		rc=0
		"$@" "$bindir/$b" -rpod "$bindir/rpod" "${flags[@]}" | tee "$bindir/$b.out" || rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "bench: $b failed (exit $rc)" >&2
			status=$rc
		fi
		echo
	done
	summary
	return "$status"
}

# summary prints the goal lines of every program that ran (lines starting
# with "goal: ", see bench/internal/world/goal.go).
summary() {
	local b
	echo "==== issue 9: every goal measured (ratio = rpod / peer) ===="
	echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
	for b in "${benches[@]}"; do
		if grep -q '^goal: ' "$bindir/$b.out" 2>/dev/null; then
			echo "[$b]"
			grep '^goal: ' "$bindir/$b.out" | sed 's/^goal: /  /'
		else
			echo "[$b] no goal lines (see its output above)"
		fi
	done
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

# The embedded network needs /dev/net/tun; distributions ship it 0666.
if [ ! -e /dev/net/tun ]; then
	mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200
fi
chmod 0666 /dev/net/tun

home="$(getent passwd "$user" | cut -d: -f6)"
# Run from / so that no command trips over a working directory the user cannot read.
cd /
status=0
run_all runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin || status=$?
exit "$status"
