# syntax=docker/dockerfile:1
#
# MLSD container image: a static Go binary on distroless/static, non-root.
#   docker build -t mlsd .
#   docker run --rm -e SLACK_BOT_TOKEN=... -e SLACK_APP_TOKEN=... -v mlsd-data:/data mlsd
# CI has no Docker engine; it runs the same `go build` line as below.

ARG GO_VERSION=1.26

# The builder runs on the build machine's platform and cross-compiles, so
# multi-arch images (docker buildx --platform linux/amd64,linux/arm64) need
# no emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /mlsd ./cmd/mlsd

# The data directory, owned by the runtime user; a volume mounted on it
# starts with this ownership.
RUN mkdir -p /out/data

# distroless/static: CA certificates (/etc/ssl/certs), time-zone data
# (/usr/share/zoneinfo), /etc/passwd with "nonroot" (65532); no shell, no
# package manager.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /mlsd /usr/local/bin/mlsd
COPY --from=build --chown=65532:65532 /out/data /data

# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532

ENV MLSD_DATA_DIR=/data \
    MLSD_LOG_FORMAT=json \
    MLSD_HTTP_ADDR=:8080

# /healthz, /readyz, /metrics and the Slack/Discord HTTP-mode endpoints.
EXPOSE 8080

# The embedded store (bbolt) lives here when REDIS_URL is not set.
VOLUME /data

# `mlsd healthcheck` GETs /healthz on MLSD_HTTP_ADDR; no curl needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["mlsd", "healthcheck"]

# SIGTERM starts a graceful shutdown bounded by MLSD_SHUTDOWN_TIMEOUT (25 s):
# give `docker stop` / Kubernetes at least 30 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["mlsd"]
CMD ["run"]
