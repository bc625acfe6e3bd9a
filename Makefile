# The test loop in tiers (CONTRIBUTING.md explains each). `make test` is
# what CI runs (.ci/run → scripts/test.sh); the other targets are the
# faster pieces of it.
GO ?= go
# One static binary (CGO_ENABLED=0; the SQLite driver is pure Go).
# `appconfigd version` reads the module version or commit from the build
# information (-buildvcs=auto overrides a GOFLAGS=-buildvcs=false);
# VERSION is the fallback for trees where Go cannot read git (a git
# worktree, a source archive).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
BUILDFLAGS = -trimpath -buildvcs=auto -ldflags "-X main.version=$(VERSION)"
# The race detector needs cgo (a C compiler); without one the tests run
# without it, and test-unit says so.
RACE ?= $(if $(filter 1,$(shell $(GO) env CGO_ENABLED)),-race,)

.PHONY: build install run test-unit test-pg test-compat test gen lint bench bench-micro bench-smoke fuzz

build: ## compile every package and the static server binary into bin/
	$(GO) build ./...
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/appconfigd ./cmd/appconfigd

install: ## go install the static server binary (into $(go env GOPATH)/bin or $GOBIN)
	CGO_ENABLED=0 $(GO) install $(BUILDFLAGS) ./cmd/appconfigd

run: ## build the static binary into bin/ and run the server on its defaults (SQLite in ./appconfigd-data, 127.0.0.1:2772)
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/appconfigd ./cmd/appconfigd
	exec ./bin/appconfigd serve

# test-unit leaves out internal/itest: its tests start real servers
# (minutes, not seconds); test-compat and test run them.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v '/internal/itest$$')

test-unit: ## Go alone, race detector, no integration tests (internal/itest); tests that need another tool skip (-short)
	@$(if $(RACE),,echo "test-unit: cgo is off (no C compiler?), so no -race" >&2)
	$(GO) test $(RACE) -short -count=1 $(UNIT_PKGS)

test-pg: ## the PostgreSQL store and replica tests on a throwaway cluster
	CI=true ./scripts/with-pg.sh sh -c '$(GO) test $(RACE) -count=1 ./internal/store/... && $(GO) test $(RACE) -count=1 -run Replica ./internal/itest'

test-compat: ## the integration tests (internal/itest: real servers, Go SDK, boto3, aws CLI, JavaScript SDK, moto) and internal/extension
	npm ci --prefix test/compat/js --no-audit --no-fund --loglevel=error
	CI=true ./scripts/with-pg.sh $(GO) test $(RACE) -count=1 -timeout 30m ./internal/itest ./internal/extension

test: ## everything, as CI runs it
	./scripts/test.sh

gen: ## regenerate the wire code from the AWS models
	$(GO) generate ./internal/wire/gen

lint: ## gofmt, go vet, staticcheck, function length
	./scripts/lint.sh

bench-micro: ## the testing.B benchmarks (BENCH=regexp, COUNT=n)
	$(GO) test -run '^$$' -bench '$(or $(BENCH),.)' -benchmem -count $(or $(COUNT),5) ./...

bench-smoke: ## each harness once with tiny durations (CI runs this)
	./scripts/bench.sh smoke

bench: bench-micro ## testing.B benchmarks, then every harness (ROUNDS, default 3) pinned
	./scripts/bench.sh $(or $(ROUNDS),3)

fuzz: ## each fuzz target for FUZZTIME (default 100000x)
	./scripts/fuzz.sh

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
