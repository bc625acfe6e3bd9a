# Build and install appconfigd: one static binary (CGO_ENABLED=0; the
# SQLite driver is pure Go). `appconfigd version` reads the module
# version or commit from the build information (-buildvcs=auto overrides
# a GOFLAGS=-buildvcs=false); VERSION is the fallback for trees where Go
# cannot read git (a git worktree, a source archive).
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
BUILDFLAGS = -trimpath -buildvcs=auto -ldflags "-X main.version=$(VERSION)"

.PHONY: build install
build:
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/appconfigd ./cmd/appconfigd

install:
	CGO_ENABLED=0 $(GO) install $(BUILDFLAGS) ./cmd/appconfigd
