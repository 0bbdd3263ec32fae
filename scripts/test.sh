#!/usr/bin/env bash
# Set up from nothing and run every check: Python lint, SQL lint, dbt parse, the test suite.
# Extra arguments go to pytest (e.g. -k sessions).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh"
cd "$root"
bin="$root/.venv/bin"

step() { printf '\n== %s\n' "$*"; }

step "ruff"
"$bin/ruff" check .
"$bin/ruff" format --check .

step "segment registry: valid, and generated models up to date"
"$bin/segmart" validate
"$bin/segmart" compile --check
"$bin/segmart" schema --check

step "sqlfluff (models incl. generated segments, dbt tests)"
"$bin/sqlfluff" lint models tests/dbt --processes 2

step "pytest"
"$bin/pytest" "$@"
