# syntax=docker/dockerfile:1
# Multi-stage build: a static binary (no cgo: the SQLite driver is pure Go)
# in a distroless image that runs as a non-root user.
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t appconfigd .
# (.dockerignore leaves .git out of the context, so the version comes from
# VERSION; without it `appconfigd version` says it is unknown.)
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/appconfigd ./cmd/appconfigd \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/appconfigd /usr/local/bin/appconfigd
# The data directory belongs to the runtime user (nonroot, 65532): a new
# volume mounted at /data starts as a copy of it, owner included, so the
# server can write its store there. (A bare VOLUME would be root-owned.)
COPY --from=build --chown=65532:65532 /out/data /data
# Outside loopback the server requires signature checking (--auth sigv4):
# mount a credentials file and point APPCONFIGD_CREDENTIALS_FILE at it.
ENV APPCONFIGD_LISTEN=0.0.0.0:2772 \
    APPCONFIGD_DATA_DIR=/data \
    APPCONFIGD_AUTH=sigv4 \
    APPCONFIGD_CREDENTIALS_FILE=/etc/appconfigd/credentials \
    APPCONFIGD_LOG_FORMAT=json
USER 65532:65532
VOLUME /data
EXPOSE 2772
HEALTHCHECK --interval=10s --timeout=4s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/appconfigd", "healthcheck", "--url", "http://127.0.0.1:2772/readyz"]
ENTRYPOINT ["/usr/local/bin/appconfigd", "serve"]
