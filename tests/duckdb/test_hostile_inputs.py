"""The hostile-input suite: a folder of bad raw files and bad registry entries (tests/hostile/,
described in its expected.yml), run on every CI run.

All raw files are built together in one real DuckDB warehouse: the build finishes, the good
files load, every bad line is a reject with its reason (or a set-aside duplicate), every file
that cannot be read is quarantined with its error, and each file's physical lines are all
accounted for: non-blank lines = clean + rejected + duplicates, or all quarantined.
Every bad registry file is refused by `segmart validate` with one problem naming the file, line
and field, and no traceback.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from engines_support import READ_ERROR_REASONS, REJECT_REASONS

from segmart.settings import PROJECT_DIR

from conftest import Warehouse

HOSTILE = Path(__file__).parent.parent / "hostile"
EXPECTED = yaml.safe_load((HOSTILE / "expected.yml").read_text())
EVENT_FILES = sorted(EXPECTED["events"])
REGISTRY_FILES = sorted(EXPECTED["registry"])


def physical_lines(path: Path) -> int:
    """Non-blank lines of a JSON-lines file (gzipped or not), as bytes: a bad file need not be
    UTF-8."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return sum(1 for line in data.splitlines() if line.strip())


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_target_path) -> tuple[Warehouse, bytes]:
    """Every hostile file built at once, and what the build wrote to logs/dbt.log."""
    root = tmp_path_factory.mktemp("hostile")
    events = root / "events"
    shutil.copytree(HOSTILE / "events", events)
    warehouse = Warehouse(events, root / "segmart.duckdb", dbt_target_path)
    log = PROJECT_DIR / "logs" / "dbt.log"
    start = log.stat().st_size if log.exists() else 0
    warehouse.build()
    with log.open("rb") as handle:
        handle.seek(start)
        return warehouse, handle.read()


@pytest.fixture(scope="module")
def landed(built) -> dict[str, dict]:
    """Per file: clean lines, rejects, duplicate lines."""
    warehouse, _ = built

    def by_file(sql: str) -> dict[str, list[tuple]]:
        found: dict[str, list[tuple]] = {}
        for source_file, *rest in warehouse.query(sql):
            found.setdefault(Path(source_file).name, []).append(tuple(rest))
        return found

    clean = by_file("select source_file, source_line from staging.stg_events")
    rejected = by_file(
        "select source_file, source_line, reject_reason from staging.stg_events_rejected"
    )
    duplicates = by_file("select source_file, source_line from staging.stg_events_duplicates")
    quarantined = by_file("select source_file, error from staging.stg_raw_files_quarantined")
    return {
        name: {
            "clean": len(clean.get(name, [])),
            "rejected": dict(sorted(rejected.get(name, []))),
            "duplicates": sorted(line for (line,) in duplicates.get(name, [])),
            "quarantined": [error for (error,) in quarantined.get(name, [])],
        }
        for name in EVENT_FILES
    }


@pytest.mark.parametrize("name", EVENT_FILES)
def test_each_bad_line_is_rejected_and_each_unreadable_file_quarantined(landed, name):
    expected = EXPECTED["events"][name]
    found = dict(landed[name])
    errors = found.pop("quarantined")
    assert found == {
        "clean": expected.get("clean", 0),
        "rejected": expected.get("rejected", {}),
        "duplicates": expected.get("duplicates", []),
    }
    if "quarantined" in expected:
        (error,) = errors
        assert error.startswith(expected["quarantined"])
    else:
        assert errors == []


@pytest.mark.parametrize("name", EVENT_FILES)
def test_every_physical_line_is_accounted_for(landed, name):
    """Lines of a readable file are clean, rejected or duplicates; a quarantined file lands
    none of its lines (all of them are in quarantine, with the file)."""
    found = landed[name]
    accounted = found["clean"] + len(found["rejected"]) + len(found["duplicates"])
    if found["quarantined"]:
        assert accounted == 0
    else:
        assert accounted == physical_lines(HOSTILE / "events" / name)


def test_the_reasons_cover_every_rule(landed):
    """A reason the rules know that no hostile file exercises is a gap in this suite."""
    seen = Counter(reason for found in landed.values() for reason in found["rejected"].values())
    assert set(seen) >= REJECT_REASONS | READ_ERROR_REASONS


def test_no_rejected_payload_reaches_the_log(built):
    """Rejected lines keep their text in the warehouse (stg_events_rejected), never in the log:
    personal_data.jsonl's email is in lines breaking five different rules."""
    _, log = built
    assert b"[debug]" in log or b"Running with dbt" in log  # the build's own log was read
    assert b"personal-mail.example" not in log


@pytest.mark.parametrize("name", REGISTRY_FILES)
def test_each_bad_registry_file_is_one_problem_and_no_traceback(tmp_path, name):
    segments = tmp_path / "segments"
    segments.mkdir()
    shutil.copy(HOSTILE / "registry" / name, segments / name)
    # The installed command, in its own process: a traceback or a hang cannot hide in capsys.
    result = subprocess.run(
        [Path(sys.executable).with_name("segmart"), "validate", "--segments", segments],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problem = EXPECTED["registry"][name]
    assert (result.returncode, result.stdout, result.stderr) == (1, problem + "\n", "1 problem\n")
