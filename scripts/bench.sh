#!/usr/bin/env bash
# Runs the benchmark harnesses under bench/ (see bench/README.md).
#
#   scripts/bench.sh smoke        # each harness once with tiny durations, so
#                                 # it cannot rot (scripts/test.sh runs this;
#                                 # figures meaningless, ~1 minute)
#   scripts/bench.sh [ROUNDS]     # every harness ROUNDS times (default 3),
#                                 # default durations, pinned when possible;
#                                 # output in bench/results/<date>-harnesses.md
#
# Pinning: with taskset and at least 2 CPUs, the servers under test run on
# CPU 1 (APPCONFIGD_BENCH_SERVER_CPUS, read by bench/internal/benchutil) and
# the load generator on CPU 0; otherwise nothing is pinned and the output
# says so. Each table header records the load average before and after.
# Extra flags for every harness: BENCH_FLAGS_controlplane,
# BENCH_FLAGS_dataplane, BENCH_FLAGS_deployments.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-3}

tmp=$(mktemp -d /tmp/appconfigd-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "== building appconfigd and the harnesses" >&2
go build -o "$tmp/appconfigd" ./cmd/appconfigd
for h in controlplane dataplane deployments; do go build -o "$tmp/$h" "./bench/$h"; done

load=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ] && [ "$mode" != smoke ]; then
  export APPCONFIGD_BENCH_SERVER_CPUS=1
  load=(taskset -c 0)
  pin="servers pinned to CPU 1 (taskset -c 1), load generators to CPU 0"
else
  pin="not pinned (smoke run, or no taskset, or fewer than 2 CPUs)"
fi
echo "== $pin" >&2

# moto_server is the control plane's baseline; without it (outside CI)
# the control-plane harness measures appconfigd alone and says so.
cp_servers=appconfigd,moto
if ! command -v moto_server >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then echo "moto_server is not on PATH (CI=true: required)" >&2; exit 1; fi
  echo "== moto_server not on PATH: control plane without its baseline" >&2
  cp_servers=appconfigd
fi

if [ "$mode" = smoke ]; then
  set -x
  "$tmp/controlplane" -appconfigd-bin "$tmp/appconfigd" -servers "$cp_servers" \
    -warmup 200ms -duration 1s -pause 0 -workers 2 >/dev/null
  "$tmp/dataplane" -appconfigd-bin "$tmp/appconfigd" -warmup 100ms -duration 300ms -pause 0 \
    -workers 2 -sessions 20 -pool 8000 -mem-sessions 200 -mem-base 10 -mem-idle 100ms >/dev/null
  "$tmp/deployments" -appconfigd-bin "$tmp/appconfigd" -n 4 -duration 1 -bake 0 \
    -time-scale 600 -workers 2 >/dev/null
  # bench/push builds its own server; bench/flagpath needs wrk and a flagd
  # built outside the repo, so only its in-process tests (go test) run here.
  go run ./bench/push -store sqlite -listeners 2 -deploys 2 -streams 0 >/dev/null
  exit 0
fi

rounds=$mode
mkdir -p bench/results
out="bench/results/$(date -u +%F)-harnesses.md"
{
  echo "# Harnesses, $(date -u +%F) ($rounds rounds)"
  echo
  echo "\`scripts/bench.sh $rounds\` at commit $(git rev-parse --short HEAD); $pin; nproc $(nproc); loadavg at start $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$out"
for r in $(seq "$rounds"); do
  for h in controlplane dataplane deployments; do
    flags_var="BENCH_FLAGS_$h"
    # shellcheck disable=SC2206
    flags=(${!flags_var:-})
    [ "$h" = controlplane ] && flags+=(-servers "$cp_servers")
    echo "== round $r: $h ${flags[*]}" >&2
    { echo; echo "## Round $r: $h"; echo; } >>"$out"
    "${load[@]}" "$tmp/$h" -appconfigd-bin "$tmp/appconfigd" "${flags[@]}" >>"$out"
  done
done
echo "== results in $out" >&2
