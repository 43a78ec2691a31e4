# syntax=docker/dockerfile:1
#
# The app image: the backend binary serving the built SPA.
#   docker build -t bff-login .
#   docker compose up --build        # with Postgres and the dev provider (see docker-compose.yml)
#
# The build runs the same commands as `cargo xtask test` (xtask/src/tools.rs,
# xtask/src/frontend.rs) with the same tool versions (xtask/src/versions.rs, Cargo.lock);
# `cargo test -p xtask` (xtask/tests/compose.rs) checks that they agree.

ARG RUST_VERSION=1.95
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS node

# ---- Build tools: cached until a version changes (trunk ~7 min, wasm-bindgen ~4 min cold) ----
FROM rust:${RUST_VERSION}-bookworm AS tools
ARG TRUNK_VERSION=0.21.14
# Must equal the `wasm-bindgen` version in Cargo.lock.
ARG WASM_BINDGEN_VERSION=0.2.130

RUN rustup target add wasm32-unknown-unknown
RUN cargo install trunk@${TRUNK_VERSION} --locked
# Not --locked: the CLI's own lockfile names a crate version the registry no longer has.
RUN cargo install wasm-bindgen-cli@${WASM_BINDGEN_VERSION}

# Node only runs wasm-opt (npm binaryen, pinned by xtask/tools/package-lock.json).
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm

WORKDIR /src
COPY xtask/tools/package.json xtask/tools/package-lock.json xtask/tools/
RUN npm ci --prefix xtask/tools --no-audit --no-fund --loglevel=error
ENV PATH=/src/xtask/tools/node_modules/.bin:$PATH

# ---- Build: the backend (release) and the SPA (trunk, wasm-opt -Oz) ----
FROM tools AS build
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo fetch --locked \
    && cargo build --release --locked -p backend \
    && (cd frontend && TRUNK_SKIP_VERSION_CHECK=true trunk build --release --offline) \
    && install -D -m 0755 target/release/backend /out/backend

# ---- Runtime ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=build /out/backend /app/backend
COPY --from=build /src/frontend/dist /app/frontend/dist

ENV LISTEN_ADDR=0.0.0.0:8080 \
    FRONTEND_DIST=/app/frontend/dist \
    RUST_LOG=info

USER 10001:10001
EXPOSE 8080

# No curl in the slim image: bash's /dev/tcp asks GET /healthz on the LISTEN_ADDR port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${LISTEN_ADDR##*:} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["/app/backend"]
