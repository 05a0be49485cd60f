#!/usr/bin/env bash
# `make test`: unit tests, short fuzz runs and the end-to-end suite.
#
# As root it prepares a bare Debian/Ubuntu machine the way a user's machine
# already is (the packages the suite drives, an unprivileged user with
# subordinate ID ranges, /dev/net/tun and /dev/fuse usable as distros ship
# them) and runs every test binary as that user. As an ordinary user it runs
# them as that user and only checks that the packages are there.
set -euo pipefail
cd "$(dirname "$0")/.."
TAGS="exclude_graphdriver_btrfs containers_image_openpgp"
TEST_USER=${RPOD_TEST_USER:-rpodtest}
# What the suite runs for real: newuidmap/newgidmap, overlay helpers, user-mode
# networking helpers, the registry and the busybox the fixture images are built from.
PACKAGES=(uidmap fuse-overlayfs fuse3 slirp4netns passt busybox-static docker-registry iperf3 skopeo catatonit ca-certificates libcap2-bin)
# Not needed by the suite, installed as root only: the C headers of two
# dependencies' code rpod's build tags leave out, so that plain `go vet ./...`
# and `go build ./...` work on a machine make test prepared.
DEV_PACKAGES=(libbtrfs-dev libgpgme-dev)

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

prepare_machine() {
  local missing
  missing=$(missing_packages "${PACKAGES[@]}" "${DEV_PACKAGES[@]}")
  if [ -n "$missing" ]; then
    echo "== installing: $(echo $missing)"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
  # Debian's docker-registry package starts a system registry on :5000; the suite runs its own.
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    echo "== creating user $TEST_USER"
    useradd -m -s /bin/bash "$TEST_USER"
  fi
  if ! grep -q "^$TEST_USER:" /etc/subuid || ! grep -q "^$TEST_USER:" /etc/subgid; then
    usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "$TEST_USER"
  fi
  if [ ! -e /dev/net/tun ]; then
    mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200
  fi
  chmod 0666 /dev/net/tun
  [ -e /dev/fuse ] && chmod 0666 /dev/fuse
  return 0
}

# SHOWN: the lines of a -test.v log printed as a suite runs (results, and
# failures' file:line messages); the full log is kept when the suite fails.
SHOWN='^(--- FAIL|FAIL|PASS|ok|panic)|^\s+\S+_test.go:[0-9]+:'

# counts LOG: "N passed, N failed, N skipped" over a -test.v log, subtests included.
counts() {
  awk '/^[[:space:]]*--- PASS/ { p++ } /^[[:space:]]*--- FAIL/ { f++ } /^[[:space:]]*--- SKIP/ { s++ }
    END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$1"
}

# run_tests RUNNER...: builds rpod and every package's test binary into a
# directory the test user can read, then runs them through RUNNER.
run_tests() {
  local work pkg dir bin rc=0
  work=$(mktemp -d /tmp/rpod-test.XXXXXX)
  chmod 0755 "$work"
  echo "== building rpod and test binaries in $work"
  make -s build BIN="$work/rpod"
  # The tests read testdata next to their package: give them a readable copy of the tree.
  mkdir -p "$work/src" "$work/bin"
  tar --exclude=./.git --exclude=./bin -cf - . | tar -xf - -C "$work/src"
  : >"$work/results"
  while read -r pkg dir; do
    [ -n "$pkg" ] || continue
    dir=${dir#"$PWD"}
    bin="$work/bin/$(echo "${dir#/}" | tr / _).test"
    go test -tags "$TAGS" -c -o "$bin" "$pkg"
    chmod -R a+rX "$work"
    chmod 0666 "$work/results"
    echo "== $pkg"
    if ! "$@" bash -c "cd '$work/src$dir' && RPOD_BIN='$work/rpod' '$bin' -test.v -test.timeout 20m 2>&1 | tee -a '$work/results' | grep -E '$SHOWN' ; exit \${PIPESTATUS[0]}"; then
      rc=1
    fi
  done < <(go list -tags "$TAGS" -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ./...)
  summary="tests: $(counts "$work/results")"
  if [ "$rc" = 0 ]; then
    rm -rf "$work"
  else
    echo "== test output kept in $work/results"
  fi
  host_rc=$rc # returning it would end the script here (set -e), before the guest suite
}

# hostbreak_tests: tests/hostbreak as root. Each test breaks one thing on
# this host (/etc/subuid, a sysctl, a device's mode), runs rpod as the test
# user, checks rpod system check's line and fix, and restores the host.
hostbreak_tests() {
  local work rc
  work=$(mktemp -d /tmp/rpod-hostbreak.XXXXXX)
  chmod 0755 "$work"
  make -s build BIN="$work/rpod"
  go test -tags "$TAGS" -c -o "$work/hostbreak.test" ./tests/hostbreak
  chmod -R a+rX "$work"
  echo "== tests/hostbreak (as root: breaks and restores the host, runs rpod as $TEST_USER)"
  set +e
  (cd tests/hostbreak && RPOD_BIN="$work/rpod" RPOD_TEST_USER="$TEST_USER" "$work/hostbreak.test" -test.v -test.timeout 10m) 2>&1 |
    tee "$work/results" | grep -E "$SHOWN"
  rc=${PIPESTATUS[0]}
  set -e
  summary+="; hostbreak: $(counts "$work/results")"
  if [ "$rc" = 0 ]; then
    rm -rf "$work"
  else
    echo "== hostbreak output kept in $work/results"
  fi
  return $rc
}

# guest_tests: the tests/guest suite in the systemd guest VM (tests/vm), for
# what this host may lack (cgroup v2 delegation, systemd user scopes). As
# root it builds the VM image when needed; otherwise it runs only when the
# image is already built. Adds the guest's counts to $summary.
guest_tests() {
  local out rc=0
  if [ "${RPOD_SKIP_GUEST:-}" = 1 ]; then
    echo "== guest suite skipped (RPOD_SKIP_GUEST=1)"
    summary+="; guest suite skipped"
    return 0
  fi
  if [ "$(id -u)" != 0 ] && ! bash tests/vm/build-image.sh 2>/dev/null; then
    echo "== guest suite skipped: no current VM image (sudo tests/vm/build-image.sh builds it, or run make test as root)"
    summary+="; guest suite skipped (no VM image)"
    return 0
  fi
  echo "== guest suite (tests/vm/guest-test)"
  out=$(mktemp /tmp/rpod-guest-results.XXXXXX)
  set +e
  bash tests/vm/guest-test 2>&1 | tee "$out" | grep --line-buffered -E "$SHOWN|^(== |guest|run-in-vm:|build-image:)"
  rc=${PIPESTATUS[0]}
  set -e
  summary+="; guest: $(counts "$out")"
  if [ "$rc" = 0 ]; then
    rm -f "$out"
  else
    echo "== guest test output kept in $out"
  fi
  return $rc
}

command -v go >/dev/null || { echo "make test needs a Go toolchain (go >= 1.21 on PATH)" >&2; exit 1; }
# Fuzzing is pure parsing: it runs as whoever called make test, before the
# suite, so that the suite's summary is the last line.
echo "== fuzzing parsers"
FUZZTIME=${FUZZTIME:-3s} bash tests/fuzz.sh

host_rc=0 summary=
if [ "$(id -u)" = 0 ]; then
  prepare_machine
  home=$(getent passwd "$TEST_USER" | cut -d: -f6)
  as_user=(runuser -u "$TEST_USER" -- env -i "HOME=$home" "USER=$TEST_USER" "LOGNAME=$TEST_USER"
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "LANG=C.UTF-8")
  run_tests "${as_user[@]}"
  hostbreak_tests || host_rc=1
else
  missing=$(missing_packages "${PACKAGES[@]}")
  if [ -n "$missing" ]; then
    echo "make test needs these packages: $(echo $missing). Install them (sudo apt-get install $(echo $missing)) or run make test as root once." >&2
    exit 1
  fi
  run_tests env
fi
guest_rc=0
guest_tests || guest_rc=1
echo "$summary"
[ "$host_rc" = 0 ] && [ "$guest_rc" = 0 ]
