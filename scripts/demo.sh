#!/usr/bin/env bash
# Set up from nothing and run the main job through Dagster: sample events -> every asset and check
# (sessions, users, segments) on DuckDB, then print where the results are.
# Extra arguments go to `segmart demo` (e.g. --events 1000000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh"
cd "$root"
exec "$root/.venv/bin/segmart" demo "$@"
