"""Rules for raw files that are bad or change: a bad file never stops the others, and a file that
changes after it was loaded is never silently ignored (docs/rules.md, "Raw files").

One warehouse is built from a folder of good files next to bad ones, then built again after some
files change: a delivery completes, a loaded file grows.
"""

from __future__ import annotations

import gzip
import json
import os

import duckdb
import pytest
from rules_support import build, message, new_warehouse, write_gzip_events, write_parquet

from segmart import cli
from segmart.dbt_runner import DbtCommandError
from segmart.raw_inspection import MAX_LINE_BYTES

from conftest import write_events

GOOD = [message(f"good-{n}", anonymous_id="anon-good", seconds=n) for n in range(3)]
GROWING = [message(f"grow-{n}", anonymous_id="anon-grow", seconds=n) for n in range(2)]
LATE = [message(f"late-{n}", anonymous_id="anon-late", seconds=n) for n in range(300)]
ERRORS = {
    "corrupt.jsonl.gz": "corrupt gzip: ",
    "truncated.jsonl.gz": "truncated gzip: the compressed stream ends before its end marker",
    "corrupt.parquet": "unreadable Parquet: ",
}


def _gzip_lines(messages) -> bytes:
    return gzip.compress(("\n".join(json.dumps(m) for m in messages) + "\n").encode())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_target_path):
    warehouse = new_warehouse(tmp_path_factory, dbt_target_path, "rules-raw-files")
    events = warehouse.events_dir
    write_events(events / "good.jsonl", GOOD)
    write_gzip_events(events / "good.jsonl.gz", [message("good-gz", anonymous_id="anon-good")])
    write_parquet(
        events / "good.parquet",
        "select 'good-pq' as messageId, 'page' as type, "
        "'anon-good' as anonymousId, '2024-05-01T08:00:00Z' as timestamp",
    )
    write_events(events / "growing.jsonl", GROWING)
    (events / "bad-utf8.jsonl").write_bytes(
        json.dumps(GOOD[0]).encode() + b'\n{"messageId": "bad\xff"}\n'
    )
    write_events(events / "long-line.jsonl", [GOOD[0], '{"messageId": "' + "x" * MAX_LINE_BYTES])
    (events / "corrupt.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"not gzip data" * 20)
    # A delivery cut off mid-write: DuckDB's reader reads its first lines without complaint.
    whole = _gzip_lines(LATE)
    (events / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (events / "corrupt.parquet").write_bytes(b"PAR1 not a parquet file PAR1")
    build(warehouse)
    first = {
        "ledger": warehouse.query_dicts("select * from staging.stg_raw_file_ledger"),
        "landed": _landed_by_file(warehouse),
        "quarantined": _quarantined(warehouse),
    }
    # Second delivery: the truncated file is replaced by the complete one, a loaded file grows
    # (a modification time in the future, so it differs even within the clock's resolution).
    (events / "truncated.jsonl.gz").write_bytes(whole)
    write_events(events / "growing.jsonl", [*GROWING, message("grow-late", anonymous_id="x")])
    os.utime(events / "growing.jsonl", (2_000_000_000, 2_000_000_000))
    os.utime(events / "good.jsonl", (2_000_000_000, 2_000_000_000))  # touched, same bytes
    build(warehouse)
    return warehouse, first


def _name(warehouse, path: str) -> str:
    return os.path.relpath(path, warehouse.events_dir)


def _landed_by_file(warehouse) -> dict[str, int]:
    rows = warehouse.query(
        "select source_file, count(*) from staging.stg_events_landed group by source_file"
    )
    return {_name(warehouse, path): count for path, count in rows}


def _quarantined(warehouse) -> dict[str, dict]:
    rows = warehouse.query_dicts("select * from staging.stg_raw_files_quarantined")
    return {_name(warehouse, row["source_file"]): row for row in rows}


def test_the_build_loads_every_good_file_next_to_bad_ones(warehouse):
    _, first = warehouse
    assert first["landed"] == {
        "bad-utf8.jsonl": 2,
        "long-line.jsonl": 2,
        "good.jsonl": 3,
        "good.jsonl.gz": 1,
        "good.parquet": 1,
        "growing.jsonl": 2,
    }


def test_a_line_the_reader_cannot_read_is_a_reject_of_its_own(warehouse):
    """The file's other lines load; the bad line keeps its number and shows its bytes."""
    built, _ = warehouse
    rows = built.query(
        "select source_file, source_line, reject_reason, raw_message"
        " from staging.stg_events_rejected order by source_file"
    )
    rejects = {_name(built, path): (line, reason, raw) for path, line, reason, raw in rows}
    assert rejects["bad-utf8.jsonl"] == (2, "invalid_utf8", '{"messageId": "bad\\xff"}')
    line, reason, raw = rejects["long-line.jsonl"]
    assert (line, reason) == (2, "line_too_long")
    assert raw == '{"messageId": "' + "x" * (1024 - len('{"messageId": "'))


def test_each_unreadable_file_is_quarantined_with_its_error_size_and_first_seen(warehouse):
    built, first = warehouse
    quarantined = first["quarantined"]
    assert sorted(quarantined) == sorted(ERRORS)
    for name, error in ERRORS.items():
        row = quarantined[name]
        assert row["status"] == "quarantined"
        assert row["error"].startswith(error), row["error"]
        assert row["file_size"] == (built.events_dir / name).stat().st_size or name.startswith(
            "truncated"
        )
        assert row["first_seen_at"] is not None


def test_a_quarantined_file_loads_whole_once_a_readable_version_replaces_it(warehouse):
    built, _ = warehouse
    assert _landed_by_file(built)["truncated.jsonl.gz"] == len(LATE)
    assert "truncated.jsonl.gz" not in _quarantined(built)


def test_a_loaded_file_touched_without_changing_its_bytes_is_not_refused(warehouse):
    built, _ = warehouse
    assert "good.jsonl" not in _quarantined(built)
    assert _landed_by_file(built)["good.jsonl"] == len(GOOD)


def test_a_file_that_changed_after_loading_is_refused_and_named(warehouse):
    built, _ = warehouse
    quarantined = _quarantined(built)["growing.jsonl"]
    assert quarantined["status"] == "changed"
    assert quarantined["error"].startswith("changed after it was loaded (")
    # Its loaded rows stay exactly those of the version that was loaded.
    assert _landed_by_file(built)["growing.jsonl"] == len(GROWING)


def test_the_ledger_records_each_version_with_its_lines_and_hash(warehouse):
    built, _ = warehouse
    rows = built.query_dicts(
        "select * from staging.stg_raw_file_ledger order by source_file, first_seen_at"
    )
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(_name(built, row["source_file"]), []).append(row)
    assert [r["status"] for r in by_name["truncated.jsonl.gz"]] == ["quarantined", "loaded"]
    assert [r["status"] for r in by_name["growing.jsonl"]] == ["loaded", "changed"]
    assert [r["status"] for r in by_name["good.jsonl"]] == ["loaded", "unchanged"]
    good = by_name["good.jsonl"][0]
    assert (good["physical_lines"], good["blank_lines"]) == (3, 0)
    assert len(good["content_hash"]) == 64


def test_a_full_refresh_keeps_the_ledger_and_the_quarantine(warehouse):
    built, _ = warehouse
    ledger_before = built.query("select * from staging.stg_raw_file_ledger order by all")
    quarantined_before = _quarantined(built)
    build(built, "--full-refresh")
    assert built.query("select * from staging.stg_raw_file_ledger order by all") == ledger_before
    assert _quarantined(built) == quarantined_before
    # A full refresh lands what the ledger lets land: not the changed file.
    assert "growing.jsonl" not in _landed_by_file(built)
    assert _landed_by_file(built)["truncated.jsonl.gz"] == len(LATE)


def test_the_reconciliation_fails_when_a_landed_file_misses_lines(make_warehouse):
    warehouse = make_warehouse("raw-files-reconcile")
    write_events(warehouse.events_dir / "day.jsonl", GOOD)
    warehouse.dbt(
        "run", "--select", "suppressed_identities", "stg_raw_file_ledger", "stg_events_landed"
    )
    warehouse.dbt("test", "--select", "assert_raw_files_reconcile")

    with duckdb.connect(str(warehouse.duckdb_path)) as connection:
        connection.execute("delete from staging.stg_events_landed where source_line = 2")
    with pytest.raises(DbtCommandError, match="assert_raw_files_reconcile"):
        warehouse.dbt("test", "--select", "assert_raw_files_reconcile")


def test_segmart_build_warns_naming_each_quarantined_file(warehouse, monkeypatch, capsys):
    built, _ = warehouse
    monkeypatch.setenv("SEGMART_EVENTS", str(built.events_dir))
    monkeypatch.setenv("SEGMART_DUCKDB", str(built.duckdb_path))
    assert cli.main(["build", "--no-publish"]) == 0
    err = capsys.readouterr().err
    # The truncated file has loaded since its complete version arrived; the grown file is refused.
    expected = {**ERRORS, "growing.jsonl": "changed after it was loaded ("}
    expected.pop("truncated.jsonl.gz")
    assert f"warning: {len(expected)} raw event file(s) quarantined, not loaded" in err
    for name, error in expected.items():
        assert f"  {built.events_dir / name}: {error}" in err, name


def test_lines_streamed_through_one_thread_land_as_collected_ones(
    tmp_path_factory, dbt_target_path
):
    """Above var segmart_parallel_parse_max_lines a batch's lines are not collected before
    parsing (docs/operations.md): the same files land the same rows either way, bad and blank
    lines included."""
    landed = {}
    for name, extra in (
        ("collected", ()),
        ("streamed", ("--vars", "{segmart_parallel_parse_max_lines: 0}")),
    ):
        warehouse = new_warehouse(tmp_path_factory, dbt_target_path, f"parse-{name}")
        events = warehouse.events_dir
        write_events(events / "a.jsonl", [*GOOD, message("a-late", anonymous_id="anon-a")])
        write_gzip_events(events / "b.jsonl.gz", LATE[:50])
        (events / "c.jsonl").write_bytes(
            json.dumps(GOOD[0]).encode() + b'\n\n{"messageId": "bad\xff"}\n' + b"not json\n"
        )
        warehouse.dbt(
            "run",
            "--select",
            "suppressed_identities",
            "stg_raw_file_ledger",
            "stg_events_landed",
            *extra,
        )
        landed[name] = warehouse.query(
            "select * exclude (_loaded_at, source_file), parse_filename(source_file)"
            " from staging.stg_events_landed order by all"
        )
    assert len(landed["collected"]) == len(GOOD) + 1 + 50 + 3
    assert landed["streamed"] == landed["collected"]
