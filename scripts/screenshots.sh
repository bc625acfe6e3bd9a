#!/usr/bin/env bash
# Regenerates the web console's screenshots in docs/screenshots/ (shown in
# the README): builds the binary, runs it with example data and
# photographs the main pages in Debian's chromium with playwright-core.
# Needs go, node, chromium and the npm packages of console/ and
# test/compat/js (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d console/node_modules ] || npm ci --prefix console --no-audit --no-fund --loglevel=error
[ -d test/compat/js/node_modules ] || npm ci --prefix test/compat/js --no-audit --no-fund --loglevel=error
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/appconfigd" ./cmd/appconfigd
CHROMIUM=${CHROMIUM:-$(command -v chromium)} node console/test/screenshots.mjs "$bindir/appconfigd"
