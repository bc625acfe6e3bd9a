#!/usr/bin/env bash
# Static checks, as `make lint` and scripts/test.sh run them: gofmt, go vet
# (also with the bench tools' inprocess tag), staticcheck (pinned by the
# `tool` directive in go.mod) and funclen (no hand-written function over
# 120 lines).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
echo "== go vet"
go vet ./...
go vet -tags inprocess ./bench/...
echo "== staticcheck (go tool staticcheck, pinned in go.mod)"
go tool staticcheck ./...
echo "== funclen (no function over 120 lines)"
go run ./internal/lint/funclen
