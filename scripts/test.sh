#!/usr/bin/env bash
# Set up from nothing and run every check: Python lint, SQL lint, dbt parse, the test suite.
# Extra arguments go to pytest (e.g. -k sessions).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# cloud: dbt-snowflake and dbt-bigquery, to compile the project for both (no server needed);
# spark (pyspark): tests/test_engine_spark.py builds the project on Spark.
SEGMART_EXTRAS="${SEGMART_EXTRAS:-dev,cloud,spark}" "$root/scripts/bootstrap.sh"
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

step "browser for the Dagster UI test (Debian's chromium)"
# The UI test drives /usr/bin/chromium with Playwright (no browser download). Install it when it
# is missing and we may: as root, or with sudo that asks no password. Otherwise the test skips
# (and fails in CI, where it must run).
if command -v chromium >/dev/null 2>&1; then
  chromium --version
elif ! command -v apt-get >/dev/null 2>&1; then
  echo "no chromium and no apt-get: the UI tests will skip"
else
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      echo "no chromium, and not root: the UI tests will skip (apt-get install chromium)"
    fi
  fi
  if [ "$(id -u)" -eq 0 ] || [ "${#as_root[@]}" -gt 0 ]; then
    echo "installing chromium and chromium-driver with apt-get (about a minute)"
    apt_log="${TMPDIR:-/tmp}/segmart-apt-chromium.log"
    if ! { "${as_root[@]}" apt-get update -qq \
           && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
              apt-get install -y -qq chromium chromium-driver; } >"$apt_log" 2>&1; then
      tail -n 20 "$apt_log"
      echo "chromium install failed (log: $apt_log): the UI tests will skip, or fail in CI"
    fi
  fi
fi

step "Java for the Spark engine tests (Debian's openjdk-17-jre-headless)"
# tests/test_engine_spark.py runs Spark in-process (pyspark), which needs a Java 17+ runtime.
# Install it when it is missing and we may, as for chromium; otherwise the tests skip (and fail
# in CI, where they must run).
if command -v java >/dev/null 2>&1; then
  java -version 2>&1 | head -n 1
elif ! command -v apt-get >/dev/null 2>&1; then
  echo "no java and no apt-get: the Spark engine tests will skip"
else
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      echo "no java, and not root: the Spark engine tests will skip" \
        "(apt-get install openjdk-17-jre-headless)"
    fi
  fi
  if [ "$(id -u)" -eq 0 ] || [ "${#as_root[@]}" -gt 0 ]; then
    echo "installing openjdk-17-jre-headless with apt-get (about a minute)"
    apt_log="${TMPDIR:-/tmp}/segmart-apt-java.log"
    if ! { "${as_root[@]}" apt-get update -qq \
           && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
              apt-get install -y -qq openjdk-17-jre-headless; } >"$apt_log" 2>&1; then
      tail -n 20 "$apt_log"
      echo "java install failed (log: $apt_log): the Spark engine tests will skip, or fail in CI"
    fi
  fi
fi

step "PostgreSQL for the engine tests (scripts/postgres.sh)"
# tests/test_engine_postgres.py builds the project on PostgreSQL too. Use the server named by
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
"$bin/pytest" "$@"
