#!/usr/bin/env bash
# The fast check to run while you work (about a minute once set up): Python lint, the registry
# and its generated files, and the unit tests (registry, compiler, generator, Dagster
# definitions; no dbt run, engine, server or browser). scripts/test.sh runs everything.
# PYTHON and SEGMART_VENV pick another interpreter and virtualenv; extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SEGMART_VENV:-$root/.venv}"
SEGMART_EXTRAS="${SEGMART_EXTRAS:-dev}" "$root/scripts/bootstrap.sh"
cd "$root"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .
"$venv/bin/segmart" validate
"$venv/bin/segmart" compile --check
# Without CI: the engine modules, deselected here, skip at import rather than fail as they must
# in the full suite (tests/conftest.py skip_unless_in_ci).
env -u CI "$venv/bin/pytest" -m unit -p no:cacheprovider "$@"
