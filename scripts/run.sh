#!/usr/bin/env bash
# `make run`: migrate every database, then start all processes under honcho until Ctrl-C.
# Every default below gives way to the environment (see the table in README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PWD/.venv/bin:$PATH"
export PYTHONUNBUFFERED=1
export CRM_DATA_DIR="$(realpath -m "${CRM_DATA_DIR:-var}")"
export CRM_DEMO="${CRM_DEMO:-1}"
export CRM_GATEWAY_PORT="${CRM_GATEWAY_PORT:-8000}"
export CRM_LEADS_PORT="${CRM_LEADS_PORT:-8001}"
export CRM_SALES_PORT="${CRM_SALES_PORT:-8002}"
export CRM_SERVICE_DESK_PORT="${CRM_SERVICE_DESK_PORT:-8003}"
export CRM_REPORTING_PORT="${CRM_REPORTING_PORT:-8004}"
# The gateway finds each service where this run starts it, unless told otherwise.
case "${CRM_HOST:-}" in ""|0.0.0.0|::|"[::]") host=127.0.0.1 ;; *) host=$CRM_HOST ;; esac
export CRM_LEADS_URL="${CRM_LEADS_URL:-http://$host:$CRM_LEADS_PORT}"
export CRM_SALES_URL="${CRM_SALES_URL:-http://$host:$CRM_SALES_PORT}"
export CRM_SERVICE_DESK_URL="${CRM_SERVICE_DESK_URL:-http://$host:$CRM_SERVICE_DESK_PORT}"
export CRM_REPORTING_URL="${CRM_REPORTING_URL:-http://$host:$CRM_REPORTING_PORT}"
mkdir -p "$CRM_DATA_DIR"

echo "Data in $CRM_DATA_DIR; bus ${CRM_BUS_URL:-embedded (crmfs:// in $CRM_DATA_DIR/bus)}"
for package in leads sales service_desk reporting gateway; do
  echo "== python -m $package.migrate"
  python -m "$package.migrate"
done

# honcho stops its processes itself on Ctrl-C (SIGTERM, then SIGKILL after 5 s). This net only catches
# what it leaves behind when it cannot: the terminal closed (SIGHUP) or its output pipe broke
# (`make run | tee log` interrupted). Every process started here carries CRM_RUN_ID in its environment.
export CRM_RUN_ID="run-$$-$(date +%s%N)"
started_here() {
  # In a subshell without the marker, so the grep does not find itself.
  (marker="CRM_RUN_ID=$CRM_RUN_ID"; unset CRM_RUN_ID; grep -lsxzF "$marker" /proc/[0-9]*/environ | cut -d/ -f3) || true
}
stop_leftovers() {
  trap - EXIT INT TERM HUP
  trap '' PIPE  # our output may be a closed pipe by now; a message must not kill this clean-up
  if [ -n "${honcho:-}" ]; then
    kill -TERM "$honcho" 2>/dev/null || true
    for _ in $(seq 80); do kill -0 "$honcho" 2>/dev/null || break; sleep 0.1; done
  fi
  for signal in TERM KILL; do
    pids=$(started_here)
    [ -n "$pids" ] || break
    echo "run.sh: sending SIG$signal to what honcho left running: $(echo $pids)" >&2 || true
    kill "-$signal" $pids 2>/dev/null || true
    for _ in $(seq 60); do [ -n "$(started_here)" ] || break; sleep 0.1; done
  done
  exit "$status"
}
status=0
trap 'status=$?; stop_leftovers' EXIT
trap 'status=130; stop_leftovers' INT
trap 'status=143; stop_leftovers' TERM HUP
honcho --procfile Procfile --app-root . start &
honcho=$!
wait "$honcho" || status=$?
