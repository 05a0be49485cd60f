#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME (default 3s) each.
# Each package's test binary is built once with fuzzing instrumentation and
# run once per target: `go test -fuzz` per target would link it again each
# time, which costs more than the fuzzing itself.
# Minimising a newly interesting input is capped at 100 runs: by default the
# engine may spend the whole short budget on it and then report the deadline
# as a failure, with nothing found.
set -euo pipefail
cd "$(dirname "$0")/.."
TAGS="exclude_graphdriver_btrfs containers_image_openpgp"
FUZZTIME=${FUZZTIME:-3s}
cache="$(go env GOCACHE)/fuzz"
bins=$(mktemp -d /tmp/rpod-fuzz-bin.XXXXXX)
log=$bins/out
trap 'rm -rf "$bins"' EXIT
n=0
while read -r pkg dir; do
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' || true)
  [ -n "$targets" ] || continue
  bin="$bins/$(basename "$dir").fuzz"
  go test -tags "$TAGS" -c -fuzz=. -o "$bin" "$pkg"
  for target in $targets; do
    echo "fuzz $pkg $target ($FUZZTIME)"
    for try in 1 2; do
      # From the package's directory: a finding is written to its testdata/fuzz.
      if (cd "$dir" && "$bin" -test.run '^$' -test.fuzz "^${target}\$" -test.fuzztime "$FUZZTIME" \
        -test.fuzzminimizetime 100x -test.fuzzcachedir "$cache") >"$log" 2>&1; then
        break
      fi
      # A finding always writes its input to testdata; on a loaded machine the
      # engine itself sometimes times out while minimising, which finds nothing.
      if [ "$try" = 1 ] && ! grep -q 'Failing input written' "$log" && grep -q 'context deadline exceeded' "$log"; then
        echo "fuzz $target: the fuzzing engine timed out without a finding; running it again"
        continue
      fi
      cat "$log"
      exit 1
    done
    n=$((n+1))
  done
done < <(go list -tags "$TAGS" -f '{{.ImportPath}} {{.Dir}}' ./...)
echo "fuzzed $n targets for $FUZZTIME each"
