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
PACKAGES=(uidmap fuse-overlayfs fuse3 slirp4netns passt busybox-static docker-registry iperf3 skopeo catatonit ca-certificates)

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

prepare_machine() {
  local missing
  missing=$(missing_packages)
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

# run_tests RUNNER...: builds rpod and every package's test binary into a
# directory the test user can read, then runs them through RUNNER.
run_tests() {
  local work pkg dir bin rc=0 pass fail
  work=$(mktemp -d /tmp/rpod-test.XXXXXX)
  chmod 0755 "$work"
  echo "== building rpod and test binaries in $work"
  go build -tags "$TAGS" -o "$work/rpod" ./cmd/rpod
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
    if ! "$@" bash -c "cd '$work/src$dir' && RPOD_BIN='$work/rpod' '$bin' -test.v -test.timeout 20m 2>&1 | tee -a '$work/results' | grep -E '^(--- FAIL|FAIL|PASS|ok|panic)|^\s+\S+_test.go:[0-9]+:' ; exit \${PIPESTATUS[0]}"; then
      rc=1
    fi
  done < <(go list -tags "$TAGS" -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ./...)
  pass=$(grep -cE '^\s*--- PASS' "$work/results" || true)
  fail=$(grep -cE '^\s*--- FAIL' "$work/results" || true)
  skip=$(grep -cE '^\s*--- SKIP' "$work/results" || true)
  if [ "$rc" = 0 ]; then
    rm -rf "$work"
  else
    echo "== test output kept in $work/results"
  fi
  echo "tests: $pass passed, $fail failed, $skip skipped"
  return $rc
}

command -v go >/dev/null || { echo "make test needs a Go toolchain (go >= 1.21 on PATH)" >&2; exit 1; }
# Fuzzing is pure parsing: it runs as whoever called make test, before the
# suite, so that the suite's summary is the last line.
echo "== fuzzing parsers"
FUZZTIME=${FUZZTIME:-5s} bash tests/fuzz.sh

if [ "$(id -u)" = 0 ]; then
  prepare_machine
  home=$(getent passwd "$TEST_USER" | cut -d: -f6)
  as_user=(runuser -u "$TEST_USER" -- env -i "HOME=$home" "USER=$TEST_USER" "LOGNAME=$TEST_USER"
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "LANG=C.UTF-8")
  run_tests "${as_user[@]}"
else
  missing=$(missing_packages)
  if [ -n "$missing" ]; then
    echo "make test needs these packages: $(echo $missing). Install them (sudo apt-get install $(echo $missing)) or run make test as root once." >&2
    exit 1
  fi
  run_tests env
fi
