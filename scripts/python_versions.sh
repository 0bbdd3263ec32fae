#!/usr/bin/env bash
# segmart supports Python 3.11-3.13 (pyproject.toml). For each other version: the pinned
# dependencies, every extra included, resolve to wheels for it (pip's resolver, nothing
# installed); then, where that interpreter is on this machine (under pyenv, or on PATH as
# python3.X), the fast suite runs on it in its own virtualenv (.venv-3.X).
#   bash scripts/python_versions.sh resolve   # the resolution check alone (about 30 s each)
#   bash scripts/python_versions.sh setup     # create and install the virtualenvs
#   bash scripts/python_versions.sh test      # run the fast suite in each
# In CI a missing interpreter fails; elsewhere it is skipped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
versions="${SEGMART_OTHER_PYTHONS:-3.12 3.13}"

interpreter() {
  # pyenv's own copy first: its shims on PATH answer for versions that are not activated.
  local version="$1" candidate
  for candidate in \
    $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version".*/bin/python 2>/dev/null | sort -rV) \
    "$(command -v "python$version" 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

missing() {
  if [ -n "${CI:-}" ]; then
    echo "no Python $1 interpreter: CI must test it" >&2
    exit 1
  fi
  echo "no Python $1 interpreter here: skipped"
}

resolve() {
  # pyspark is published as source only (pure Python), which a cross-version resolution cannot
  # take: its Requires-Python is checked by the fast suite's install on each version instead.
  local requirements
  requirements="$(mktemp)"
  "$root/.venv/bin/python" - "$root/pyproject.toml" >"$requirements" <<'PY'
import sys
import tomllib

project = tomllib.load(open(sys.argv[1], "rb"))["project"]
for requirement in [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]:
    if not requirement.startswith("pyspark"):
        print(requirement.replace("[session]", ""))
PY
  for version in $versions; do
    echo "Python $version: resolving every pinned dependency to wheels"
    "$root/.venv/bin/python" -m pip install --dry-run --quiet --ignore-installed \
      --only-binary=:all: --python-version "$version" --target "$(mktemp -d)" \
      -r "$requirements" 2> >(grep -v '^WARNING: Location' >&2)
  done
  rm -f "$requirements"
}

setup() {
  for version in $versions; do
    python="$(interpreter "$version")" || { missing "$version"; continue; }
    echo "Python $version ($python): installing into .venv-$version"
    PYTHON="$python" SEGMART_VENV="$root/.venv-$version" SEGMART_EXTRAS=dev \
      "$root/scripts/bootstrap.sh"
  done
}

test_each() {
  for version in $versions; do
    python="$(interpreter "$version")" || { missing "$version"; continue; }
    echo "Python $version: the fast suite"
    SEGMART_VENV="$root/.venv-$version" PYTHON="$python" "$root/scripts/test_fast.sh" -q
  done
}

case "${1:-}" in
  resolve) resolve ;;
  setup) setup ;;
  test) test_each ;;
  *) echo "usage: $0 resolve|setup|test" >&2; exit 2 ;;
esac
