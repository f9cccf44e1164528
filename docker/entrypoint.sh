#!/bin/sh
# The image's entrypoint: the first argument says what the container runs.
#
#   ingest-api | token-refresher | dispatcher | wechat-sandbox
#       that app, with the `start` script of its package.json (the same command, flags included,
#       that `npm start` runs), from its own folder. The process replaces this shell, so it gets
#       SIGTERM from `docker stop` itself and shuts down as it does under `npm start`.
#   migrate
#       creates the database of DATABASE_URL when missing, applies prisma/migrations and checks that
#       the tables exist (scripts/migrate-deploy.mjs); waits up to MIGRATE_WAIT_SECONDS (60) for
#       Postgres to answer, and never falls back to another server.
#   anything else that is a command (sh, node, npx …)
#       run as it is.
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

usage() {
  echo "usage: <image> ingest-api | token-refresher | dispatcher | wechat-sandbox | migrate | <command> [args…]" >&2
}

if [ "$#" -eq 0 ] || [ -z "$1" ]; then
  usage
  exit 2
fi

if [ "$1" = migrate ]; then
  shift
  exec node "$root/scripts/migrate-deploy.mjs" "$@"
fi

case "$1" in
  *[!a-z0-9-]*) app='' ;;
  *) app="$1" ;;
esac
if [ -n "$app" ] && [ -f "$root/apps/$app/package.json" ]; then
  shift
  if [ ! -f "$root/apps/$app/dist/main.js" ]; then
    echo "$app: apps/$app/dist/main.js is not built" >&2
    exit 1
  fi
  start=$(node -e '
    const script = require(process.argv[1]).scripts?.start;
    if (typeof script !== "string" || !/^node\s/.test(script)) process.exit(1);
    process.stdout.write(script);
  ' "$root/apps/$app/package.json") || {
    echo "$app: its package.json has no \`node …\` start script" >&2
    exit 1
  }
  cd "$root/apps/$app"
  # $start is the package's own script, e.g. `node --max-old-space-size=160 dist/main.js`.
  exec sh -c "exec $start \"\$@\"" "$app" "$@"
fi

if command -v "$1" >/dev/null 2>&1; then
  exec "$@"
fi
echo "$1: not an app of this image nor a command" >&2
usage
exit 2
