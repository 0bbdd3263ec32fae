"""Compare every table of two DuckDB warehouses built from the same events, e.g. by two commits
(behaviour unchanged by a refactor) or twice by one (what varies between builds anyway).

Usage:  .venv/bin/python bench/compare_builds.py BASE.duckdb HEAD.duckdb
Tables are matched by schema.table (analyses.* in BASE is reports.* in HEAD: docs/migrations.md);
columns stamped with a run's wall-clock time are left out; rows are compared as multisets of
text (EXCEPT ALL both ways). The files must have different names (each is attached under its
own, which dbt-duckdb's views name).
"""

import sys
from pathlib import Path

import duckdb

RUN_TIME_COLUMNS = {
    "_sessionized_at",
    "refreshed_at",
    "recorded_at",
    "published_at",
    "build_file",
    "_loaded_at",
    "loaded_at",
    "landed_at",
    "inspected_at",
    "first_seen_at",
    "valid_from",
    "valid_to",
    "member_since",
    "last_refreshed_at",
    "entered_at",
    "exited_at",
    "changed_at",
}
SCHEMAS = ("staging", "intermediate", "marts", "segments", "analyses", "reports", "reference")

base, head = sys.argv[1], sys.argv[2]
con = duckdb.connect()
# Each under its file's own name: dbt-duckdb's views name their catalog after the file.
B, H = Path(base).stem, Path(head).stem
con.execute(f"attach '{base}' as {B} (read_only)")
con.execute(f"attach '{head}' as {H} (read_only)")


def tables(db):
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables"
        f" where table_catalog = '{db}' and table_schema in {SCHEMAS}"
    ).fetchall()
    return {(("reports" if s == "analyses" else s), t): (s, t) for s, t in rows}


b, h = tables(B), tables(H)
print("only in base:", sorted(set(b) - set(h)))
print("only in head:", sorted(set(h) - set(b)))
differ = 0
for key in sorted(set(b) & set(h)):
    (bs, bt), (hs, ht) = b[key], h[key]
    bcols = [
        c
        for (c,) in con.execute(
            f"select column_name from information_schema.columns where table_catalog='{B}'"
            f" and table_schema='{bs}' and table_name='{bt}' order by ordinal_position"
        ).fetchall()
    ]
    hcols = {
        c
        for (c,) in con.execute(
            f"select column_name from information_schema.columns where table_catalog='{H}'"
            f" and table_schema='{hs}' and table_name='{ht}'"
        ).fetchall()
    }
    cols = [c for c in bcols if c in hcols and c not in RUN_TIME_COLUMNS]
    listed = ", ".join(f'"{c}"::varchar' for c in cols)
    n_b = con.execute(f'select count(*) from {B}."{bs}"."{bt}"').fetchone()[0]
    n_h = con.execute(f'select count(*) from {H}."{hs}"."{ht}"').fetchone()[0]
    extra = con.execute(
        f'select count(*) from (select {listed} from {H}."{hs}"."{ht}" except all'
        f' select {listed} from {B}."{bs}"."{bt}")'
    ).fetchone()[0]
    missing = con.execute(
        f'select count(*) from (select {listed} from {B}."{bs}"."{bt}" except all'
        f' select {listed} from {H}."{hs}"."{ht}")'
    ).fetchone()[0]
    col_diff = sorted(set(bcols) ^ hcols)
    status = "equal" if (n_b == n_h and not extra and not missing and not col_diff) else "DIFFER"
    differ += status != "equal"
    print(
        f"{key[0]}.{key[1]}: {status} rows {n_b}/{n_h} +{extra} -{missing}"
        + (f" columns differ {col_diff}" if col_diff else "")
    )
print(f"{len(set(b) & set(h))} tables compared, {differ} differ")
