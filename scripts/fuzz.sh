#!/usr/bin/env bash
# Runs every fuzz target of the repository, one after the other, for
# FUZZTIME each (default 100000x). `make fuzz` and scripts/test.sh run it.
#
#   FUZZTIME=2m scripts/fuzz.sh                 # longer, by time
#   scripts/fuzz.sh FuzzParseToken              # only the targets named
#
# The default is a number of executions, not a time: with a time bound
# the Go fuzzer sometimes reports its own deadline ("context deadline
# exceeded") as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-100000x}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(grep -rhoE '^func (Fuzz[A-Za-z0-9_]+)' --include='*_test.go' . | sed 's/func //' | sort -u)
fi
for target in "${targets[@]}"; do
  pkg=$(grep -rlE "^func ${target}\(" --include='*_test.go' . | head -1 | xargs dirname)
  echo "-- ${target} in ${pkg} (${FUZZTIME})"
  go test -run='^$' -fuzz="^${target}\$" -fuzztime="${FUZZTIME}" "${pkg}"
done
