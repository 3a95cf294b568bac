# One image for the API server and the workers of Docker Builder (@docker-builder/server):
#
#   docker build -t docker-builder .
#   docker run … docker-builder            # `docker-builder serve` (the default command)
#   docker run … docker-builder worker     # a BullMQ worker (needs REDIS_URL)
#
# See the README's "Run in Docker" for the socket mount, the tokens file and compose.yaml.
#
# Works with BuildKit and with the classic builder (DOCKER_BUILDKIT=0, Debian's docker.io,
# docker-compose 1.29): no RUN --mount, no heredocs. Few instructions on purpose: with the
# classic builder every one is a container and a layer, which storage drivers such as vfs copy whole.

# Any Debian bookworm image with Node.js 20 on PATH will do: the official one, a mirror of it,
# or (in this repository's tests, which have no Docker Hub) one made from Debian's packages.
# Both stages use it, so what is built runs where it was built.
ARG BASE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# Build: the whole workspace with its dev dependencies (tsup, TypeScript, Vite), then a copy of
# just @docker-builder/server's compiled files and production dependencies in /out.
FROM ${BASE_IMAGE} AS build

# Through a registry mirror: --build-arg NPM_CONFIG_REGISTRY=https://npm.example.com/
ARG NPM_CONFIG_REGISTRY
WORKDIR /src
# The lockfile alone decides what is downloaded, so this layer stays cached until it changes,
# whatever happens to the sources.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN npm install --global --no-audit --no-fund --loglevel=error pnpm@10.34.9 && pnpm fetch

COPY . .
# Install from what was fetched; build the server and the workspace packages it depends on
# (ui's build is Vite's, then tsup's); then gather in /out only its "files" (dist, bin, the
# bundled playbook) and its production dependencies, workspace packages copied in, at the
# lockfile's versions. Without the two settings pnpm would also install core's optional peer
# vitest, found at the workspace root, and with it Vite, rolldown and esbuild: about 85 MB the
# server never loads. (That resolution reads the registry's metadata, which `pnpm fetch` does
# not keep: hence no --offline there.)
RUN pnpm install --offline --frozen-lockfile \
 && pnpm --filter "@docker-builder/server..." build \
 && pnpm --filter @docker-builder/server deploy --prod --legacy --prefer-offline \
      --config.auto-install-peers=false --config.resolve-peers-from-workspace-root=false /out \
 && cp docker/healthcheck.mjs /out/healthcheck.mjs \
 && test -f /out/dist/cli.js && test -f /out/deploy/playbook.yml && ! test -e /out/src \
 && if ls /out/node_modules/.pnpm | grep -E '^(typescript|tsx|tsup|vite|vitest|esbuild|rolldown)@'; then \
      echo 'a build tool reached the production dependencies' >&2; exit 1; \
    fi

# ---------------------------------------------------------------------------------------------
# Runtime: node, the compiled server, its production dependencies, and what deploys run.
FROM ${BASE_IMAGE} AS runtime

# DOCKER_GID: the group id of the Docker socket on the host that will run this image
# (`stat -c %g /var/run/docker.sock`), to bake socket access in. The alternative, needing no
# rebuild, is `docker run --group-add <that gid>` (compose.yaml: DOCKER_GID, group_add).
ARG DOCKER_GID=
# - ansible-playbook runs the deploys and reaches real hosts over ssh; tini is PID 1, so the
#   processes ansible leaves behind (ssh ControlPersist masters) are reaped, and it hands
#   SIGTERM to node. Installed from Debian only when the base lacks them (the tests' has them,
#   and no package mirror).
# - A fixed uid (10001), so volumes, runAsNonRoot and shared directories can name it.
# - ~/.ansible (ansible's temp files) and ~/.ssh (mount known_hosts and keys there) are its own;
#   ssh finds the home directory in /etc/passwd, not in $HOME.
# - Uploaded build contexts wait in /var/lib/docker-builder/uploads, private as the server
#   demands; a named volume mounted there starts with this owner and mode, so the server and
#   the workers can share it.
RUN set -eu; missing=''; \
    command -v ansible-playbook >/dev/null || missing="$missing ansible-core"; \
    command -v ssh >/dev/null || missing="$missing openssh-client"; \
    command -v tini >/dev/null || missing="$missing tini"; \
    test -e /etc/ssl/certs/ca-certificates.crt || missing="$missing ca-certificates"; \
    if [ -n "$missing" ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
      rm -rf /var/lib/apt/lists/*; \
    fi; \
    ansible-playbook --version >/dev/null; \
    groupadd --gid 10001 builder; \
    useradd --uid 10001 --gid builder --create-home --home-dir /home/builder --shell /usr/sbin/nologin builder; \
    if [ -n "$DOCKER_GID" ]; then \
      group="$(getent group "$DOCKER_GID" | cut -d: -f1)"; \
      if [ -z "$group" ]; then groupadd --gid "$DOCKER_GID" docker; group=docker; fi; \
      usermod --append --groups "$group" builder; \
    fi; \
    install -d -o builder -g builder -m 0700 /home/builder/.ansible /home/builder/.ssh \
      /var/lib/docker-builder /var/lib/docker-builder/uploads

# Owned by root: the service cannot change its own code.
COPY --from=build /out /app

# - PATH: docker-builder-token (API tokens) and docker-builder-log-doctor, e.g.
#   `docker run --rm --entrypoint docker-builder-token … create --file /config/tokens.json …`.
# - HOST=0.0.0.0: the server refuses to start there without AUTH_TOKENS_FILE (or OpenID
#   Connect) or ALLOW_ANONYMOUS=true.
# - SHUTDOWN_DEADLINE_SECONDS: on SIGTERM a running job may finish until the last third of it,
#   is then aborted (it ends in error, saying so), and the process exits within it. Keep it
#   below the orchestrator's grace period: 30 s in Kubernetes; `docker stop` waits 10 s unless
#   given -t or the container's --stop-timeout (compose.yaml sets stop_grace_period: 30s).
ENV PATH=/app/node_modules/.bin:$PATH \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    UPLOADS_DIR=/var/lib/docker-builder/uploads \
    SHUTDOWN_DEADLINE_SECONDS=25 \
    HOME=/home/builder

# The bundled example playbook, /app/deploy/playbook.yml, is the default (./deploy/playbook.yml
# from here): mount yours elsewhere and set PLAYBOOK.
WORKDIR /app
# By uid, so Kubernetes' runAsNonRoot can check it; the user's groups (DOCKER_GID) still apply.
USER 10001
EXPOSE 8000

# GET /healthz of the server, or of a worker's METRICS_PORT; a worker without one counts as
# healthy while its process runs.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/healthcheck.mjs"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--", "node", "/app/dist/cli.js"]
CMD ["serve"]
