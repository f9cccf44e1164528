# syntax=docker/dockerfile:1
# One image for every minapush app; its command picks what the container runs
# (docker/entrypoint.sh): ingest-api, token-refresher, dispatcher, wechat-sandbox or migrate.
#
#   docker build -t minapush .
#   docker run --rm --env-file .env -e DATABASE_URL=… minapush migrate
#   docker run -d --env-file .env -e DATABASE_URL=… -e REDIS_URL=… -p 3000:3000 minapush ingest-api
#
# docker-compose.yml runs them all with Postgres and Redis (README, "Docker").

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, the Prisma client, the apps' dist -------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    npm_config_update_notifier=false
# The npm that writes package-lock.json (package.json's packageManager); Node 20 ships npm 10.
RUN npm install --global npm@11.19.1 --no-audit --no-fund
# The whole tree first (.dockerignore leaves out node_modules, dist, .env and local state): npm ci
# needs every workspace's package.json, and a workspace added later must not be forgotten here.
COPY . .
# --include=dev: the build tools are devDependencies. npm/cli#4828: npm leaves other platforms'
# optional packages out of the lockfile it writes and npm 11's `npm ci` then refuses it; `npm
# install` installs the same lockfile's versions (as .ci/run and npm start do).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include=dev --no-audit --no-fund \
    || npm install --include=dev --no-audit --no-fund
# Builds the apps and the packages they use; @minapush/db's build generates the Prisma client
# offline first (scripts/prisma.mjs).
RUN npx turbo run build --filter='./apps/*'

# ---- prod-deps: the same tree without devDependencies -------------------------------------------
# Workspace packages stay linked (node_modules/@minapush/* -> packages/*, resolved to their dist).
# The Prisma CLI stays too (an optional peer of @prisma/client), with its WebAssembly schema
# engine, so that the image can migrate.
FROM build AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# HOST: inside a container the apps must listen on every interface to be reached at all.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    npm_config_update_notifier=false
COPY --from=prod-deps /app/package.json /app/package-lock.json /app/prisma.config.ts ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=prod-deps /app/packages ./packages
COPY --from=prod-deps /app/apps ./apps
COPY --from=prod-deps /app/prisma ./prisma
COPY --from=prod-deps /app/scripts ./scripts
COPY --from=prod-deps /app/docker ./docker
# The Prisma CLI's config loader (jiti) and scripts/prisma.mjs keep files under node_modules/.cache.
RUN mkdir -p node_modules/.cache && chown -R node:node node_modules/.cache
USER node
# ingest-api, token-refresher (health, metrics), dispatcher (health, metrics), wechat-sandbox
EXPOSE 3000 3001 3002 3900
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["ingest-api"]
