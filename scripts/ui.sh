#!/usr/bin/env bash
# Start the Dagster UI (webserver and daemon) for segmart on http://127.0.0.1:3000
# (SEGMART_UI_PORT to change it). Schedules and the new-files sensor start stopped: switch them
# on in the UI, or start with SEGMART_AUTOMATION=on. Ctrl-C or SIGTERM stops everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh"
cd "$root"

# The instance (run history, queue, concurrency limits) lives in .dagster/ unless DAGSTER_HOME
# says otherwise; our dagster.yaml (one warehouse writer at a time) is installed there.
if [ -z "${DAGSTER_HOME:-}" ]; then
  export DAGSTER_HOME="$root/.dagster"
  mkdir -p "$DAGSTER_HOME"
  cp "$root/orchestration/dagster.yaml" "$DAGSTER_HOME/dagster.yaml"
elif [ ! -f "$DAGSTER_HOME/dagster.yaml" ]; then
  mkdir -p "$DAGSTER_HOME"
  cp "$root/orchestration/dagster.yaml" "$DAGSTER_HOME/dagster.yaml"
fi

# Compile the registry and parse the dbt project first, so a broken segment file is reported
# here rather than as a code location error in the UI.
"$root/.venv/bin/python" -m orchestration prepare

# dagster dev's webserver, daemon and code servers ignore SIGINT and SIGTERM, so a signal to
# dagster dev alone can leave them running (and the port taken). They run in a process group of
# their own; Ctrl-C or SIGTERM here stops the whole group, also when this script runs in the
# background (where the shell ignores SIGINT: send SIGTERM, as `kill` does).
group=""
stop() {
  trap '' INT TERM HUP  # a second Ctrl-C must not cut the cleanup short
  [ -n "$group" ] || return 0
  kill -TERM -- "-$group" 2>/dev/null || return 0
  # A grace period for dagster dev to end its runs cleanly, then the processes that ignored it.
  for _ in $(seq 1 20); do
    kill -0 -- "-$group" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL -- "-$group" 2>/dev/null || true
}
# Set before dagster dev starts, so no signal falls between; HUP: the terminal closed.
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop; exit 129' HUP
setsid "$root/.venv/bin/dagster" dev -m orchestration.definitions \
  -h 127.0.0.1 -p "${SEGMART_UI_PORT:-3000}" &
group=$!
status=0
wait "$group" || status=$?
stop  # dagster dev ended by itself: nothing of it stays behind
exit "$status"
