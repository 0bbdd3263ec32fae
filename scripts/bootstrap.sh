#!/usr/bin/env bash
# Create (or refresh) the project virtualenv. Idempotent: reinstalls only when pyproject.toml
# changes or an extra is asked for that is not installed yet. SEGMART_EXTRAS names the optional
# dependency groups (default: none, what the demo and the UI need; scripts/test.sh asks for dev,
# the test tools, cloud, the Snowflake and BigQuery adapters, and spark, pyspark). PYTHON picks
# the interpreter and SEGMART_VENV the virtualenv (default .venv).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SEGMART_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
extras="${SEGMART_EXTRAS:-}"

if [ ! -x "$venv/bin/python" ]; then
  echo "segmart: creating virtualenv in $venv" >&2
  "$python" -m venv "$venv"
fi
# The stamp holds pyproject.toml's hash and the extras installed from it (comma-separated).
stamp="$venv/.segmart-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
have="" installed=""
if [ -f "$stamp" ]; then read -r have installed <"$stamp" || true; fi
[ "$have" = "$want" ] || installed=""
missing=""
for extra in ${extras//,/ }; do
  case ",$installed," in *",$extra,"*) ;; *) missing="$missing,$extra" ;; esac
done
if [ "$have" != "$want" ] || [ -n "$missing" ]; then
  all="$(echo "$installed$missing" | sed 's/^,//')"
  spec="$root${all:+[$all]}"
  echo "segmart: installing dependencies (${all:-no extras}; about a minute the first time)" >&2
  log="$venv/pip-install.log"
  # pip is chatty on this kind of machine; keep its output in a log and show it only on failure.
  if ! { "$venv/bin/python" -m pip install --upgrade pip \
         && "$venv/bin/python" -m pip install -e "$spec"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "segmart: dependency install failed; full log in $log" >&2
    exit 1
  fi
  echo "$want $all" > "$stamp"
fi
