#!/usr/bin/env bash
# Set up from nothing and run every check: Python lint, SQL lint, dbt parse, the test suite.
# Extra arguments go to pytest (e.g. -k sessions).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# cloud: dbt-snowflake and dbt-bigquery, to compile the project for both (no server needed);
# spark (pyspark): tests/engines/test_engine_spark.py builds the project on Spark.
SEGMART_EXTRAS="${SEGMART_EXTRAS:-dev,cloud,spark}" "$root/scripts/bootstrap.sh"
cd "$root"
# The virtualenvs of the other supported Pythons install, and the pinned dependencies resolve to
# their wheels, meanwhile (neither touches the project); their tests run at the end.
mkdir -p logs
{ bash scripts/python_versions.sh setup && bash scripts/python_versions.sh resolve; } \
  >logs/python-versions-setup.log 2>&1 &
other_pythons=$!
bin="$root/.venv/bin"
# shellcheck source=scripts/apt.sh
source "$root/scripts/apt.sh"

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

step "browser for the Dagster UI test (Debian's chromium)"
# The UI test drives /usr/bin/chromium with Playwright (no browser download). Install it when it
# is missing and we may; otherwise the test skips (and fails in CI, where it must run).
if command -v chromium >/dev/null 2>&1; then
  chromium --version
elif ! apt_install chromium chromium chromium-driver; then
  echo "no chromium: the UI tests will skip, or fail in CI"
fi

step "Java for the Spark engine tests (Debian's openjdk-17-jre-headless)"
# tests/engines/test_engine_spark.py runs Spark in-process (pyspark), which needs a Java 17+ runtime.
# Install it when it is missing and we may; otherwise the tests skip (and fail in CI).
if command -v java >/dev/null 2>&1; then
  java -version 2>&1 | head -n 1
elif ! apt_install java openjdk-17-jre-headless; then
  echo "no java: the Spark engine tests will skip, or fail in CI"
fi

step "PostgreSQL for the engine tests (scripts/postgres.sh)"
# tests/engines/test_engine_postgres.py builds the project on PostgreSQL too. Use the server named by
# SEGMART_PG_HOST when set; else start a throwaway one (installing Debian's postgresql when it
# is missing and we may) and stop it on exit. Without one the tests skip, except in CI.
if [ -n "${SEGMART_PG_HOST:-}" ]; then
  echo "using the PostgreSQL server at $SEGMART_PG_HOST:${SEGMART_PG_PORT:-5432}"
elif [ -f "$root/.postgres.env" ]; then
  eval "$(bash "$root/scripts/postgres.sh" start)"  # already running: reuse it, leave it running
elif pg_env="$(bash "$root/scripts/postgres.sh" start)"; then
  eval "$pg_env"
  trap 'bash "$root/scripts/postgres.sh" stop' EXIT
elif [ -n "${CI:-}" ]; then
  echo "could not start PostgreSQL: CI must run the engine tests" >&2
  exit 1
else
  echo "could not start PostgreSQL: the PostgreSQL engine tests will skip"
fi

step "pytest"
# One worker per core (pytest-xdist; SEGMART_TEST_WORKERS sets another count), a whole module to
# a worker so its fixtures build once, in the order tests/conftest.py gives: the slowest kinds
# first. nproc (the CPUs this process may use), not xdist's "auto", which counts physical cores.
"$bin/pytest" --numprocesses "${SEGMART_TEST_WORKERS:-$(nproc)}" --dist loadfile \
  --no-loadscope-reorder "$@"

step "Python 3.12 and 3.13: dependencies resolve to wheels, the fast suite passes"
if ! wait "$other_pythons"; then
  cat logs/python-versions-setup.log >&2
  exit 1
fi
cat logs/python-versions-setup.log
bash scripts/python_versions.sh test
