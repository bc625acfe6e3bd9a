#!/usr/bin/env bash
# The whole test suite, as CI runs it (`make test` runs this too):
# generated code up to date, lint (gofmt, vet, staticcheck, function
# length), every Go test with the race detector (integration tests drive
# real servers with the Go SDK, boto3, the aws CLI and the JavaScript SDK),
# each benchmark harness once with tiny durations, then each fuzz target
# briefly. Needs: go, python3 with boto3 and the aws CLI, moto_server, node
# and npm (the JavaScript SDK comes from the npm registry, pinned by
# test/compat/js/package-lock.json), and PostgreSQL's initdb/pg_ctl. The
# web console's browser tests need Debian's chromium, which this script
# installs when it is missing.
#
# CI=true is exported: a test whose tool is missing fails instead of
# skipping (internal/testutil.Need), so this script cannot pass by
# silently running fewer checks. CONTRIBUTING.md has the faster tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true

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
# Debian's chromium for the browser tests (playwright-core drives it; no
# browser download), the console's npm packages (esbuild, playwright-core,
# pinned by console/package-lock.json), and its built assets rebuilt: the
# committed internal/console/dist must be exactly what console/src builds.
echo "== web console: chromium, npm ci, built assets up to date"
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
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

echo "== fuzz targets (${FUZZTIME:-100000x} each)"
./scripts/fuzz.sh
echo "== all tests passed"
