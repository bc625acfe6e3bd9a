#!/usr/bin/env bash
# Builds flagd (the baseline of bench/flagpath) from fetched snapshots,
# outside the repository: flagd is not served by the Go module proxy, and
# its core module needs open-feature-operator's api module, which the
# proxy does not serve either.
#
#   bench/flagpath/build-flagd.sh FLAGD_GIT_DIR OPERATOR_GIT_DIR OUT_DIR
#
# FLAGD_GIT_DIR and OPERATOR_GIT_DIR are git directories (bare clones or
# mirrors) of github.com/open-feature/flagd and
# github.com/open-feature/open-feature-operator. The script exports their
# HEAD trees with `git archive` into OUT_DIR/src (nothing is checked out
# in this repository), points the flagd and core modules at the local
# core and api modules with `go mod edit -replace`, and builds
# OUT_DIR/flagd. Other dependencies come from the Go module proxy.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 FLAGD_GIT_DIR OPERATOR_GIT_DIR OUT_DIR" >&2; exit 2; }
flagd_git=$(readlink -f "$1")
operator_git=$(readlink -f "$2")
out=$(mkdir -p "$3" && readlink -f "$3")
src=$out/src
rm -rf "$src"
mkdir -p "$src/flagd" "$src/operator"
git --git-dir="$flagd_git" archive HEAD | tar -x -C "$src/flagd"
git --git-dir="$operator_git" archive HEAD api | tar -x -C "$src/operator"
echo "flagd $(git --git-dir="$flagd_git" rev-parse HEAD), open-feature-operator $(git --git-dir="$operator_git" rev-parse HEAD)" > "$out/VERSION"

api=$src/operator/api
(cd "$src/flagd/core" && go mod edit -replace "github.com/open-feature/open-feature-operator/api=$api")
cd "$src/flagd/flagd"
go mod edit -replace "github.com/open-feature/flagd/core=../core" \
  -replace "github.com/open-feature/open-feature-operator/api=$api"
GOWORK=off GOFLAGS=-mod=mod go build -trimpath -o "$out/flagd" .
echo "built $out/flagd ($(cat "$out/VERSION"))" >&2
