#!/usr/bin/env bash
# The whole test suite, as CI runs it (`make test` runs this too):
# generated code up to date, lint (gofmt, vet, staticcheck, function
# length), every Go test with the race detector (integration tests drive
# real servers with the Go SDK, boto3, the aws CLI and the JavaScript SDK),
# each benchmark harness once with tiny durations and each testing.B
# benchmark once, then each fuzz target
# briefly. Needs: go, python3 with boto3 and the aws CLI, moto_server, node
# and npm (the JavaScript SDK comes from the npm registry, pinned by
# test/compat/js/package-lock.json), and PostgreSQL's initdb/pg_ctl.
# Debian's chromium (the web console's browser tests), make, file, script
# and systemd-analyze (the first-hour tests) are installed below when
# missing.
#
# CI=true is exported: a test whose tool is missing fails instead of
# skipping (internal/testutil.Need), so this script cannot pass by
# silently running fewer checks. CONTRIBUTING.md has the faster tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true

# Tools from Debian, installed when missing: chromium (the web console's
# browser tests; playwright-core drives it, no browser download),
# systemd-analyze (TestSystemdUnit), make and file (TestReadme), script (a
# terminal for deployment wait's progress bar).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v file >/dev/null 2>&1 || missing+=(file)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "== installing ${missing[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== generated wire code is up to date"
go generate ./internal/wire/gen
if ! git diff --quiet -- internal/wire/gen 2>/dev/null; then
  git --no-pager diff --stat -- internal/wire/gen
  echo "internal/wire/gen is stale: run 'make gen' and commit" >&2
  exit 1
fi

./scripts/lint.sh

echo "== JavaScript SDK for the compat tests (npm ci)"
npm ci --prefix test/compat/js --no-audit --no-fund --loglevel=error

# ---- web console (issue 14) -------------------------------------------
# The console's npm packages (esbuild, playwright-core,
# pinned by console/package-lock.json), and its built assets rebuilt: the
# committed internal/console/dist must be exactly what console/src builds.
echo "== web console: npm ci, built assets up to date"
npm ci --prefix console --no-audit --no-fund --loglevel=error
node console/build.mjs
if [ -n "$(git status --porcelain -- internal/console/dist)" ]; then
  git status --short -- internal/console/dist
  echo "internal/console/dist is stale: run 'node console/build.mjs' and commit" >&2
  exit 1
fi
# ---- end web console ---------------------------------------------------

# A throwaway PostgreSQL 15 cluster, so the PostgreSQL tests always run
# (set APPCONFIGD_TEST_POSTGRES to use an existing server instead).
echo "== go test -race ./..."
./scripts/with-pg.sh go test -race -count=1 -timeout 30m ./...

echo "== benchmark harnesses, once each with tiny durations"
./scripts/bench.sh smoke

# Every testing.B benchmark once (figures meaningless), so that none rots
# unseen: they are not run by go test otherwise.
echo "== testing.B benchmarks, once each"
if ! out=$(./scripts/with-pg.sh go test -run '^$' -bench . -benchtime 1x ./... 2>&1); then
  echo "$out"
  exit 1
fi

echo "== fuzz targets (${FUZZTIME:-100000x} each)"
./scripts/fuzz.sh
echo "== all tests passed"
