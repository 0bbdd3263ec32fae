#!/usr/bin/env bash
# Create (or refresh) the project virtualenv. Idempotent: installs only when pyproject.toml changed
# or an extra is asked for that is not installed. SEGMART_EXTRAS: the optional dependency groups
# (default dev; test.sh adds cloud, the Snowflake and BigQuery adapters).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SEGMART_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
extras="${SEGMART_EXTRAS:-dev}"

if [ ! -x "$venv/bin/python" ]; then
  echo "segmart: creating virtualenv in $venv" >&2
  "$python" -m venv "$venv"
fi
# The stamp holds pyproject.toml's hash and the extras installed with it: nothing to do when the
# hash is the same and every extra asked for is among them.
stamp="$venv/.segmart-installed"
hash="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
installed="$(cat "$stamp" 2>/dev/null || true)"
up_to_date=false
if [ "${installed%% *}" = "$hash" ]; then
  up_to_date=true
  for extra in ${extras//,/ }; do
    case ",${installed#* }," in *",$extra,"*) ;; *) up_to_date=false ;; esac
  done
fi
if [ "$up_to_date" = false ]; then
  echo "segmart: installing dependencies (about a minute the first time)" >&2
  log="$venv/pip-install.log"
  # pip is chatty on this kind of machine; keep its output in a log and show it only on failure.
  if ! { "$venv/bin/python" -m pip install --upgrade pip \
         && "$venv/bin/python" -m pip install -e "$root[$extras]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "segmart: dependency install failed; full log in $log" >&2
    exit 1
  fi
  echo "$hash $extras" > "$stamp"
fi
