#!/usr/bin/env bash
# Runs a command with APPCONFIGD_TEST_POSTGRES pointing at a throwaway
# PostgreSQL 15 cluster (scripts/pg.sh), stopped and deleted afterwards.
# When APPCONFIGD_TEST_POSTGRES is already set, that server is used and
# nothing is started.
#
#   scripts/with-pg.sh go test -race ./internal/store/postgres/...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
if [ -z "${APPCONFIGD_TEST_POSTGRES:-}" ]; then
  pgdir=$(mktemp -d /tmp/appconfigd-pg.XXXXXX)
  trap './scripts/pg.sh stop "$pgdir" >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
  echo "== starting a throwaway PostgreSQL cluster in $pgdir" >&2
  eval "$(./scripts/pg.sh start "$pgdir")"
fi
"$@"
