#!/usr/bin/env bash
# Runs the benchmark harnesses under bench/ (see bench/README.md).
#
#   scripts/bench.sh smoke        # each harness once with tiny durations, so
#                                 # it cannot rot (scripts/test.sh runs this;
#                                 # figures meaningless, ~1 minute)
#   scripts/bench.sh [ROUNDS]     # every row of the performance table ROUNDS
#                                 # times (default 3), pinned when possible:
#                                 # control plane (SQLite and PostgreSQL vs
#                                 # moto), data plane (vs bare net/http),
#                                 # 10,000 deployments, the flag path; the
#                                 # medians of the ratios, the load averages
#                                 # and the raw tables in
#                                 # bench/results/<date>-bench.md (or
#                                 # -bench-N.md when the day has one;
#                                 # BENCH_OUT=path to choose)
#
# Pinning: with taskset and at least 2 CPUs, the servers under test run on
# CPU 1 (APPCONFIGD_BENCH_SERVER_CPUS, read by bench/internal/benchutil) and
# the load generator on CPU 0; otherwise nothing is pinned and the output
# says so. Each table header records the load average before and after.
# Extra flags for every harness: BENCH_FLAGS_controlplane,
# BENCH_FLAGS_dataplane, BENCH_FLAGS_deployments, BENCH_FLAGS_flagpath;
# FLAGD=path/to/flagd adds flagd's rows to the flag path.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-3}

tmp=$(mktemp -d /tmp/appconfigd-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "== building appconfigd and the harnesses" >&2
go build -o "$tmp/appconfigd" ./cmd/appconfigd
for h in controlplane dataplane deployments flagpath; do go build -o "$tmp/$h" "./bench/$h"; done

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
  mkdir -p "$tmp/json"
  cut -d' ' -f1-3 /proc/loadavg >"$tmp/json/loadavg-1.txt"
  "$tmp/controlplane" -appconfigd-bin "$tmp/appconfigd" -servers "$cp_servers" \
    -warmup 200ms -duration 1s -pause 0 -workers 2 -json "$tmp/json/controlplane-1.json" >/dev/null
  go run ./bench/summary -dir "$tmp/json" >/dev/null
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
case "$rounds" in ''|*[!0-9]*) echo "usage: $0 smoke | ROUNDS" >&2; exit 2 ;; esac

# PostgreSQL beside SQLite when a PostgreSQL 15 is there for scripts/pg.sh
# (or APPCONFIGD_TEST_POSTGRES names a server).
store=both
if [ -z "${APPCONFIGD_TEST_POSTGRES:-}" ] && ! { command -v initdb >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/initdb ]; }; then
  echo "== PostgreSQL 15 not found: the control plane on SQLite only" >&2
  store=sqlite
fi

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
mkdir -p bench/results "$tmp/json"
# BENCH_OUT names the file; by default <date>-bench.md, or -bench-2.md,
# -bench-3.md... when the day already has one (an earlier run is kept).
out=${BENCH_OUT:-}
if [ -z "$out" ]; then
  out="bench/results/$(date -u +%F)-bench.md"
  n=2
  while [ -e "$out" ]; do
    out="bench/results/$(date -u +%F)-bench-$n.md"
    n=$((n + 1))
  done
fi
raw="$tmp/raw.md"
: >"$raw"
for r in $(seq "$rounds"); do
  cut -d' ' -f1-3 /proc/loadavg >"$tmp/json/loadavg-$r.txt"
  for h in controlplane dataplane deployments; do
    flags_var="BENCH_FLAGS_$h"
    # shellcheck disable=SC2206
    flags=(${!flags_var:-})
    case $h in
      controlplane) flags=(-servers "$cp_servers" -store "$store" "${flags[@]}") ;;
      # the table's row is the steady variant (and the memory phase); the
      # full variant's pool of fresh sessions can outlive its tokens on a
      # loaded machine (BENCH_FLAGS_dataplane="-variants steady,full" adds it)
      dataplane) flags=(-variants steady "${flags[@]}") ;;
      deployments) flags=(-n 10000 "${flags[@]}") ;;
    esac
    echo "== round $r/$rounds: $h ${flags[*]} (loadavg $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    { echo; echo "### Round $r: $h (loadavg at start $(cut -d' ' -f1-3 /proc/loadavg))"; echo; } >>"$raw"
    "${load[@]}" "$tmp/$h" -appconfigd-bin "$tmp/appconfigd" -json "$tmp/json/$h-$r.json" "${flags[@]}" >>"$raw" ||
      { echo "== $h failed in round $r (see $out)" >&2; echo "($h failed)" >>"$raw"; }
  done
  cut -d' ' -f1-3 /proc/loadavg >>"$tmp/json/loadavg-$r.txt"
done

# The flag path (bench/flagpath) takes its own rounds and medians; it
# needs wrk, and flagd for the flagd rows (FLAGD=path, see
# bench/flagpath/README.md).
flagpath_note="not run: wrk is not installed"
if command -v wrk >/dev/null 2>&1; then
  fflags=(-rounds "$rounds" -out "$tmp/flagpath.md")
  if [ -n "${FLAGD:-}" ]; then fflags+=(-flagd "$FLAGD"); flagpath_note="with flagd $FLAGD"; else flagpath_note="without flagd (set FLAGD): Agent-route row only"; fi
  echo "== flag path ${fflags[*]} (loadavg $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  # shellcheck disable=SC2086
  "${load[@]}" "$tmp/flagpath" "${fflags[@]}" ${BENCH_FLAGS_flagpath:-} >/dev/null ||
    { flagpath_note="failed"; echo "== flagpath failed" >&2; }
fi

{
  echo "# Benchmarks, $(date -u +%F) ($rounds rounds)"
  echo
  echo "\`scripts/bench.sh $rounds\` at commit $commit; $pin; nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); control plane on $store; moto: $cp_servers."
  echo
  echo "## Every row: median of $rounds rounds, each a ratio to its baseline of the same round"
  echo
  go run ./bench/summary -dir "$tmp/json"
  echo
  echo "## Flag path (bench/flagpath, its own $rounds rounds and medians; $flagpath_note)"
  echo
  if [ -s "$tmp/flagpath.md" ]; then cat "$tmp/flagpath.md"; else echo "(no figures)"; fi
  echo
  echo "## The harnesses' own tables, round by round"
  cat "$raw"
} >"$out"
echo "== results in $out" >&2
