#!/usr/bin/env bash
# Create (or refresh) the project virtualenv. Idempotent: reinstalls only when pyproject.toml changes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SEGMART_VENV:-$root/.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "segmart: creating virtualenv in $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.segmart-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "segmart: installing dependencies (about a minute the first time)" >&2
  log="$venv/pip-install.log"
  # pip is chatty on this kind of machine; keep its output in a log and show it only on failure.
  if ! { "$venv/bin/python" -m pip install --upgrade pip \
         && "$venv/bin/python" -m pip install -e "$root[dev]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "segmart: dependency install failed; full log in $log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
