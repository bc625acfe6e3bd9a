# syntax=docker/dockerfile:1
# Multi-stage build: a static binary (no cgo: the SQLite driver is pure Go)
# in a distroless image that runs as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/appconfigd ./cmd/appconfigd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/appconfigd /usr/local/bin/appconfigd
# Outside loopback the server requires signature checking (--auth sigv4):
# mount a credentials file and point APPCONFIGD_CREDENTIALS_FILE at it.
ENV APPCONFIGD_LISTEN=0.0.0.0:2772 \
    APPCONFIGD_DATA_DIR=/data \
    APPCONFIGD_AUTH=sigv4 \
    APPCONFIGD_CREDENTIALS_FILE=/etc/appconfigd/credentials \
    APPCONFIGD_LOG_FORMAT=json
VOLUME /data
EXPOSE 2772
USER nonroot:nonroot
HEALTHCHECK --interval=10s --timeout=4s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/appconfigd", "healthcheck", "--url", "http://127.0.0.1:2772/readyz"]
ENTRYPOINT ["/usr/local/bin/appconfigd", "serve"]
