#!/usr/bin/env bash
# The whole test suite, as CI runs it: generated code up to date, vet,
# every Go test with the race detector (integration tests drive real
# servers with the Go SDK, boto3, the aws CLI and the JavaScript SDK), then
# each fuzz target briefly. Needs: go, python3 with boto3 and the aws CLI,
# moto_server, node and npm (the JavaScript SDK comes from the npm
# registry, pinned by test/compat/js/package-lock.json), PostgreSQL's
# initdb/pg_ctl; make, file, script and systemd-analyze are installed
# below when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Fuzzing is bounded by a number of executions, not by time: with a time
# bound the Go fuzzer sometimes reports its own deadline ("context
# deadline exceeded") as a failure.
FUZZTIME=${FUZZTIME:-100000x}

# Tools the first-hour tests use, installed from Debian when missing:
# systemd-analyze (TestSystemdUnit), make and file (TestReadme), script
# (a terminal for deployment wait's progress bar).
missing=()
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v file >/dev/null 2>&1 || missing+=(file)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A throwaway PostgreSQL 15 cluster, so the PostgreSQL tests always run
# (set APPCONFIGD_TEST_POSTGRES to use an existing server instead).
if [ -z "${APPCONFIGD_TEST_POSTGRES:-}" ]; then
  pgdir=$(mktemp -d /tmp/appconfigd-pg.XXXXXX)
  trap './scripts/pg.sh stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
  echo "== starting a throwaway PostgreSQL cluster in $pgdir"
  eval "$(./scripts/pg.sh start "$pgdir")"
fi

echo "== generated wire code is up to date"
go generate ./internal/wire/gen
if ! git diff --quiet -- internal/wire/gen 2>/dev/null; then
  git --no-pager diff --stat -- internal/wire/gen
  echo "internal/wire/gen is stale: run 'go generate ./internal/wire/gen' and commit" >&2
  exit 1
fi

echo "== gofmt, go vet and staticcheck"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go vet ./...
go vet -tags inprocess ./bench/...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== JavaScript SDK for the compat tests (npm ci)"
npm ci --prefix test/compat/js --no-audit --no-fund --loglevel=error

echo "== go test -race ./..."
go test -race -count=1 -timeout 30m ./...

echo "== fuzz targets (${FUZZTIME} each)"
for target in $(grep -rhoE '^func (Fuzz[A-Za-z0-9_]+)' --include='*_test.go' . | sed 's/func //' | sort -u); do
  pkg=$(grep -rlE "^func ${target}\(" --include='*_test.go' . | head -1 | xargs dirname)
  echo "-- ${target} in ${pkg}"
  go test -run='^$' -fuzz="^${target}\$" -fuzztime="${FUZZTIME}" "${pkg}"
done
echo "== all tests passed"
