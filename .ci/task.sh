#!/usr/bin/env bash
# Entry point for the README's commands (npm test, npm run demo, npm run bench) on a machine
# that has only Node and npm; CI's .ci/run calls `npm test` too.
# corepack cannot verify pnpm against this registry, so pnpm comes from npm into
# a project-local .tools folder, pinned to the packageManager field (turbo refuses
# to run when the two differ).
set -euo pipefail
cd "$(dirname "$0")/.."
task="${1:?usage: .ci/task.sh test|demo|bench}"; shift || true
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  if [ "$(.tools/node_modules/.bin/pnpm --version 2>/dev/null || true)" != "$want" ]; then
    echo "› installing pnpm $want into .tools/" >&2
    npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error "pnpm@$want" >/dev/null
  fi
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# Native addons (msgpackr-extract) compile against the machine's Node headers when no prebuilt fits.
[ -d /usr/include/node ] && export npm_config_nodedir="${npm_config_nodedir:-/usr}"
# CI installs exactly the lockfile; a local checkout whose manifests moved ahead of it may update it.
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --prefer-offline >&2
else
  pnpm install --frozen-lockfile --prefer-offline >&2 || pnpm install --prefer-offline >&2
fi
case "$task" in
  # --continue: one failing package must not hide the results of the others.
  test)  exec pnpm turbo run build typecheck lint test --concurrency=1 --continue=dependencies-successful --output-logs=new-only "$@" ;;
  demo)  pnpm turbo run build --filter=@intro/demo... --output-logs=errors-only >&2
         exec node apps/demo/dist/main.js "$@" ;;
  bench) pnpm turbo run build --output-logs=errors-only >&2
         exec pnpm --filter @intro/bench run bench "$@" ;;
  *) echo "unknown task: $task" >&2; exit 2 ;;
esac
