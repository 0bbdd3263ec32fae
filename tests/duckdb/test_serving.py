"""Serving BI readers (segmart/serving.py): refreshes write the build file and publish a complete
copy, the serving file, by an atomic rename. A reader in another process queries the serving
file in a loop through two refreshes: it never meets an error, never blocks a refresh, and every
round sees one whole refresh (sessions of the old or the new build, never a mix; every segment
table the size its catalog says).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from segments_support import AS_OF, Events, SegmentProject, campaign, funnel, later, segment

from segmart import cli
from segmart.dbt_runner import DbtCommandError
from segmart.serving import Publication, PublishError, publish, serving_path, snapshot_path
from segmart.settings import Settings

READER = Path(__file__).parent.parent / "serving_reader.py"


def registry() -> list[dict]:
    return [
        segment("buyers", {"performed": {"event": "order_completed"}}),
        segment("paid", {"attribute": "utm_medium", "equals": "cpc"}, grain="session"),
        # Published to no BI reader: its table, and its rows in the shared tables.
        segment(PRIVATE, {"performed": {"event": "order_completed"}}, visibility="private"),
    ]


PRIVATE = "vip_private_segment"
EMAIL_DOMAIN = "personal-mail.example"


def batch(number: int, visitors: int) -> Events:
    """New visitors (their names carry the batch, so message ids never repeat): each has one
    session; every second one orders, every third one comes from paid search."""
    events = Events()
    for index in range(visitors):
        visitor = f"b{number}v{index}"
        start = later(AS_OF, days=-10 + number, minutes=index)
        context = campaign(source="google", medium="cpc") if index % 3 == 0 else None
        events.page(visitor, start, user=True, context=context)
        events.identify(visitor, start, user=True, email=f"{visitor}@{EMAIL_DOMAIN}")
        if index % 2 == 0:
            events.track(visitor, "Order Completed", later(start, minutes=1), user=True, revenue=5)
    return events


class Project:
    def __init__(self, root: Path) -> None:
        self.segments = SegmentProject.create(root)
        self.segments.write_segments(registry())
        # A funnel over every segment, for the shared reports.segment_funnel.
        steps = [
            {"name": "Visited", "event": "page"},
            {"name": "Bought", "event": "order_completed"},
        ]
        self.segments.write_funnels([funnel("visit_to_order", steps)])
        self.segments.compile()
        self.settings = Settings(
            events=str(self.segments.events_dir), duckdb_path=self.segments.duckdb_path
        )
        self.serving = serving_path(self.settings, environ={})

    def refresh(self, number: int, visitors: int) -> None:
        self.segments.write_events(batch(number, visitors), f"batch{number}.jsonl")
        self.segments.build()
        publish(self.settings)

    def serving_query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.serving), read_only=True) as connection:
            return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    project = Project(tmp_path_factory.mktemp("serving"))
    project.refresh(1, 12)
    return project


def test_the_serving_file_holds_only_what_bi_may_read(project):
    """docs/security.md: the BI schemas, no personal-data column, nothing of a private segment,
    not even in the file's bytes (it is written fresh, never a copy with rows deleted)."""
    schemas = project.serving_query("select distinct table_schema from information_schema.tables")
    assert {schema for (schema,) in schemas} == {
        "marts",
        "segments",
        "reports",
        "reference",
        "serving",
    }
    columns = project.serving_query("select distinct column_name from information_schema.columns")
    assert {"visitor_id", "plan", "segment_name"} <= {column for (column,) in columns}
    assert not {"email", "name", "latest_traits", "traits"} & {column for (column,) in columns}
    segments = project.serving_query(
        "select table_name from information_schema.tables where table_schema = 'segments'"
    )
    assert "buyers" in {name for (name,) in segments}
    assert PRIVATE not in {name for (name,) in segments}
    shared = ("segments.segment_memberships", "segments.segment_catalog", "reports.segment_funnel")
    for table in shared:
        rows = f"select count(*) from {table} where segment_name = "
        assert project.serving_query(rows + "'buyers'") != [(0,)]
        assert project.serving_query(rows + f"'{PRIVATE}'") == [(0,)]
    content = project.serving.read_bytes()
    assert PRIVATE.encode() not in content and EMAIL_DOMAIN.encode() not in content


def test_segmarts_own_commands_read_the_whole_snapshot(project, monkeypatch, capsys):
    snapshot = snapshot_path(project.settings)
    assert snapshot == project.settings.duckdb_path.parent / "snapshot" / "segmart.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as connection:
        assert connection.execute("select count(email) from marts.users").fetchone()[0] > 0
    monkeypatch.setenv("SEGMART_DUCKDB", str(project.settings.duckdb_path))
    assert cli.main(["sql", f"select count(*) as private_members from segments.{PRIVATE}"]) == 0
    assert "private_members" in capsys.readouterr().out


def test_the_serving_file_sits_beside_the_build_file_under_the_same_name(project):
    assert project.serving == project.segments.duckdb_path.parent / "serving" / "segmart.duckdb"
    other = serving_path(project.settings, environ={"SEGMART_SERVING_DIR": "/srv/bi"})
    assert other == Path("/srv/bi/segmart.duckdb")


def test_a_reader_during_two_refreshes_sees_whole_refreshes_only(project, tmp_path):
    out, stop = tmp_path / "reader.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(project.serving), str(out), str(stop)]
    )
    try:
        _wait_for_rounds(out, 5)
        # A connection held open across a refresh: it neither blocks the refresh nor changes
        # under its reader; it keeps the refresh it opened until it closes.
        held = duckdb.connect(str(project.serving), read_only=True)
        before = held.execute("select count(*) from marts.sessions").fetchone()[0]
        project.refresh(2, 9)
        assert held.execute("select count(*) from marts.sessions").fetchone()[0] == before
        held.close()
        project.refresh(3, 6)
        final = project.serving_query("select published_at from serving.publication")[0][0]
        _wait_for_rounds(out, 5, published_at=str(final))
    finally:
        stop.touch()
        reader.wait(timeout=60)
    rounds = [json.loads(line) for line in out.read_text().splitlines()]

    assert [r["error"] for r in rounds if "error" in r] == []
    assert before == 12
    by_publication: dict[str, set[int]] = {}
    for r in rounds:
        by_publication.setdefault(r["published_at"], set()).add(r["sessions"])
        # Every segment table, the memberships and the funnel agree with the catalog read in
        # the same round.
        assert r["tables"] == r["catalog"], r
        assert r["memberships"] == {k: v for k, v in r["catalog"].items() if v}, r
        assert r["funnel"] == r["catalog"], r
    # Each publication is one complete state, and the reader saw all three, in order.
    assert all(len(counts) == 1 for counts in by_publication.values())
    seen = [r["sessions"] for r in rounds]
    assert sorted(set(seen)) == [12, 21, 27]
    assert seen == sorted(seen)
    # It kept reading during both refreshes (a dbt build takes seconds, a round milliseconds).
    assert seen.count(21) >= 20, f"{len(seen)} rounds"
    sizes = {r["sessions"]: r["catalog"] for r in rounds}
    assert sizes == {
        12: {"buyers": 6, "paid": 4},
        21: {"buyers": 11, "paid": 7},
        27: {"buyers": 14, "paid": 9},
    }


def test_publishing_fails_cleanly_while_another_process_holds_the_build_file(project):
    published = project.serving_query("select published_at from serving.publication")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(60)",
            str(project.segments.duckdb_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(PublishError, match="another process holds it"):
            publish(project.settings)
    finally:
        holder.kill()
        holder.wait()
    assert project.serving_query("select published_at from serving.publication") == published
    assert not list(project.serving.parent.glob(".*.publishing"))


def test_segmart_build_publishes_after_a_successful_build_only(monkeypatch, tmp_path):
    published, outcome = [], {"fail": False}

    def run_dbt(args, settings, **_):
        if outcome["fail"]:
            raise DbtCommandError("dbt build failed\n- test.not_null: 1 failure")

    monkeypatch.setattr(cli, "run_dbt", run_dbt)
    monkeypatch.setattr(cli, "publish", lambda settings: published.append(settings) or _fake())
    monkeypatch.setenv("SEGMART_DUCKDB", str(tmp_path / "segmart.duckdb"))

    assert cli.main(["build"]) == 0
    assert [s.duckdb_path for s in published] == [tmp_path / "segmart.duckdb"]
    assert cli.main(["build", "--no-publish"]) == 0
    outcome["fail"] = True
    assert cli.main(["build"]) == 1
    assert len(published) == 1


def _fake() -> Publication:
    return Publication(
        Path("serving.duckdb"), published_at=datetime(2024, 1, 1), bytes=0, seconds=0
    )


def _wait_for_rounds(out: Path, count: int, published_at: str | None = None) -> None:
    """Until the reader has logged `count` rounds (of that publication, if given)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lines = out.read_text().splitlines() if out.exists() else []
        rounds = [json.loads(line) for line in lines]
        if published_at is not None:
            rounds = [r for r in rounds if r.get("published_at") == published_at]
        if len(rounds) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the reader logged fewer than {count} rounds in 60 s")


def test_publishing_compacts_a_build_file_that_is_mostly_free_space(project, capsys):
    """DuckDB reuses freed blocks but never returns them, so rebuilds grew the file without
    bound; a file over half free is written anew when published, and says so."""
    path = project.segments.duckdb_path
    with duckdb.connect(str(path)) as connection:
        sessions = connection.execute("select count(*) from marts.sessions").fetchone()[0]
        # Freed space as rebuilds leave it: a large table, another after it, the first dropped
        # (free blocks at the end of a file are cut off at once; these are not).
        for name, rows in (("scratch", 5_000_000), ("kept", 1_000_000)):
            connection.execute(
                f"create table {name} as select md5(i::varchar) as v from range({rows}) t(i)"
            )
            connection.execute("checkpoint")
        connection.execute("drop table scratch")
        connection.execute("checkpoint")
    grown = path.stat().st_size

    publication = publish(project.settings)

    assert publication.compacted is not None and publication.compacted[0] == grown
    assert path.stat().st_size < grown / 2, (grown, path.stat().st_size)
    assert "compacted the build file from" in publication.compaction()
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.sessions").fetchone()[0] == sessions
    assert project.serving_query("select count(*) from marts.sessions") == [(sessions,)]
    # Not again while the file is mostly data.
    assert publish(project.settings).compacted is None
