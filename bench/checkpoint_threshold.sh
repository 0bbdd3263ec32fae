#!/usr/bin/env bash
# A/B of DuckDB's checkpoint_threshold on the incremental refresh of one new day over 30 days of
# history (docs/benchmarks.md): the same snapshot, refreshed from a fresh copy each time,
# alternating the default (16MB) and 8GB, each as a separate `dbt run` of the foundation with the
# page cache dropped first (when allowed). Prints wall seconds and peak RSS per run.
#
#   bash bench/checkpoint_threshold.sh [EVENTS] [WORK_DIR]   # defaults: 10000000, /tmp/segmart-checkpoint
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events="${1:-10000000}"
work="${2:-/tmp/segmart-checkpoint}"
cd "$root"
rm -rf "$work" && mkdir -p "$work/arriving" "$work/profiles-8GB"
# The project's profiles with one setting more for the duckdb target.
sed 's/^        TimeZone: UTC$/        TimeZone: UTC\n        checkpoint_threshold: 8GB/' \
  profiles.yml >"$work/profiles-8GB/profiles.yml"

.venv/bin/python -m segmart.sample_data --out "$work/generated" --events "$events" --seed 1 \
  --days 31 | cut -c1-120
mapfile -t files < <(ls "$work"/generated/*.jsonl* | sort)
for file in "${files[@]:0:30}"; do ln "$file" "$work/arriving/"; done
export SEGMART_EVENTS="$work/arriving"

dbt_run() {  # label, warehouse file, profiles dir, dbt arguments...
  local label="$1" warehouse="$2" profiles="$3"
  shift 3
  SEGMART_DUCKDB="$warehouse" /usr/bin/time -f "$label: wall_s=%e peak_rss_kb=%M" \
    .venv/bin/dbt "$@" --project-dir "$root" --profiles-dir "$profiles" \
    --target-path "$work/target-$label" --quiet 2>&1 | tail -n 3
}

dbt_run seed "$work/base.duckdb" "$root" seed
dbt_run history "$work/base.duckdb" "$root" run --exclude "path:models/segments+" --full-refresh
ln "${files[30]}" "$work/arriving/"  # the new day arrives
for round in 1 2; do
  for threshold in default 8GB; do
    profiles="$root"
    [ "$threshold" = 8GB ] && profiles="$work/profiles-8GB"
    cp "$work/base.duckdb" "$work/$threshold.duckdb"
    sync
    echo 3 2>/dev/null >/proc/sys/vm/drop_caches || true
    dbt_run "$threshold-$round" "$work/$threshold.duckdb" "$profiles" \
      run --exclude "path:models/segments+"
    rm -f "$work/$threshold.duckdb"*
  done
done
