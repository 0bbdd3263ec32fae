"""`segmart forget` (docs/security.md "Deletion"): a person asks to be forgotten. Every table
dbt built loses their rows at once, the build, serving and snapshot files lose their bytes, and
no later refresh, incremental or full, brings them back; the membership feed records no exit
for them, so activation has nothing of theirs to send. The raw files stay as they are.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from segments_support import AS_OF, Events, SegmentProject, later, segment

from segmart import cli
from segmart.dbt_runner import run_dbt
from segmart.serving import publish, serving_path, snapshot_path
from segmart.settings import PROJECT_DIR, Settings

from conftest import Warehouse, write_events

PERSON = "forget-me"
DEVICE = "forget-me-device"
EMAIL = "Forget.Me@personal-mail.example"
# On the person's pages only: the identities stay in the suppression list, this nowhere.
MARKER = "forget-me-secret-page"


def events(batch: int) -> Events:
    """The person (a device, then a login with their email) and two others, per batch."""
    events = Events()
    start = later(AS_OF, days=-20 + batch)
    events.page(DEVICE, start, path=f"/{MARKER}/{batch}")
    events.identify(PERSON, later(start, minutes=1), user=True, email=EMAIL)
    events.messages[-1]["anonymousId"] = DEVICE
    events.track(PERSON, "Order Completed", later(start, minutes=2), user=True, revenue=9)
    for other in ("keep-1", "keep-2"):
        events.page(f"{other}-{batch}", later(start, minutes=5), user=True)
        events.track(f"{other}-{batch}", "Order Completed", later(start, minutes=6), user=True)
    return events


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, dbt_target_path) -> Warehouse:
    root = tmp_path_factory.mktemp("forget")
    warehouse = Warehouse(root / "events", root / "segmart.duckdb", dbt_target_path)
    events(1).write(warehouse.events_dir / "batch1.jsonl")
    # A rejected message of theirs (properties not an object) keeps its raw text until then.
    write_events(
        warehouse.events_dir / "rejects.jsonl",
        [{**events(1).messages[0], "messageId": "forget-me-bad", "properties": "x"}],
    )
    warehouse.build()
    publish(warehouse.settings)
    return warehouse


@pytest.fixture
def cli_env(warehouse, monkeypatch):
    monkeypatch.setenv("SEGMART_EVENTS", str(warehouse.events_dir))
    monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse.duckdb_path))
    monkeypatch.delenv("SEGMART_SERVING_DIR", raising=False)


def mentions(warehouse: Warehouse, text: str) -> dict[str, int]:
    """Rows of each table or view that mention the text in any column, outside the suppression
    list."""
    relations = warehouse.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('privacy', 'information_schema', 'pg_catalog')"
    )
    found = {}
    for schema, table in relations:
        rows = warehouse.query(
            f'select count(*) from "{schema}"."{table}" as t where lower(cast(t as varchar)) '
            "like ?",
            [f"%{text.lower()}%"],
        )[0][0]
        if rows:
            found[f"{schema}.{table}"] = rows
    return found


def test_forget_says_what_it_would_remove_and_removes_nothing_without_yes(
    warehouse, cli_env, capsys
):
    before = mentions(warehouse, PERSON)
    assert {"staging.stg_events", "marts.users", "segments.segment_memberships"} <= set(before)
    assert MARKER.encode() in warehouse.duckdb_path.read_bytes()

    assert cli.main(["forget", "--email", EMAIL.lower()]) == 1

    out, err = capsys.readouterr()
    assert "would forget 1 user_id, 1 anonymous_id, 1 email" in out
    assert "marts.users: 1 rows to delete" in out
    assert "--yes" in err
    assert mentions(warehouse, PERSON) == before


def test_forget_removes_the_person_from_every_table_and_file(warehouse, cli_env, capsys):
    assert cli.main(["forget", "--email", EMAIL.upper(), "--yes"]) == 0

    out = capsys.readouterr().out
    events_rows = warehouse.query(
        "select count(*) from staging.stg_events_rejected where reject_reason = 'suppressed'"
    )[0][0]
    assert events_rows == 4  # the page, the identify, the order and the rejected copy
    assert "staging.stg_events: 3 rows deleted" in out
    assert "staging.stg_events_landed: 4 rows became suppressed rejects" in out
    assert "marts.users: 1 rows deleted" in out
    assert mentions(warehouse, PERSON) == {}
    assert mentions(warehouse, "keep-1")  # the others stay
    # What stays of them: file, line and reason; the identities only in the suppression list.
    suppressed = warehouse.query(
        "select identity_kind, identity_value, identity_source "
        "from privacy.suppressed_identities order by 1"
    )
    assert suppressed == [
        ("anonymous_id", DEVICE, "linked"),
        ("email", EMAIL.lower(), "requested"),
        ("user_id", PERSON, "linked"),
    ]
    for path in (
        warehouse.duckdb_path,
        serving_path(warehouse.settings),
        snapshot_path(warehouse.settings),
    ):
        assert MARKER.encode() not in path.read_bytes(), path
    assert PERSON.encode() not in serving_path(warehouse.settings).read_bytes()
    # The request went to dbt by environment and its log file got no queries.
    for log in (PROJECT_DIR / "logs").glob("*.log"):
        assert EMAIL.lower().encode() not in log.read_bytes().lower(), log


def test_no_later_refresh_brings_them_back(warehouse, cli_env):
    """New events of theirs land as suppressed rejects; incremental and full refreshes alike,
    and the feed activation sends records no exit for them."""
    changes_before = warehouse.query("select count(*) from segments.segment_membership_changes")
    events(2).write(warehouse.events_dir / "batch2.jsonl")
    warehouse.build()
    assert mentions(warehouse, PERSON) == {}
    assert mentions(warehouse, "keep-1-2")  # the others' new events landed
    assert warehouse.query(
        "select count(*), count(raw_message), count(message_id) from staging.stg_events_rejected "
        "where reject_reason = 'suppressed'"
    ) == [(7, 0, 0)]
    exits = warehouse.query(
        "select count(*) from segments.segment_membership_changes where change = 'exited'"
    )
    assert exits == [(0,)], changes_before

    warehouse.build("--full-refresh")
    assert mentions(warehouse, PERSON) == {}
    assert warehouse.query(
        "select count(*) from staging.stg_events_rejected where reject_reason = 'suppressed'"
    ) == [(7,)]
    assert len(warehouse.query("select * from privacy.suppressed_identities")) == 3


def test_forget_needs_someone_and_a_built_warehouse(tmp_path, monkeypatch, capsys):
    assert cli.main(["forget"]) == 1
    assert "name someone" in capsys.readouterr().err
    monkeypatch.setenv("SEGMART_DUCKDB", str(tmp_path / "empty.duckdb"))
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    assert cli.main(["forget", "--user-id", "x", "--yes"]) == 1
    assert "run segmart build first" in capsys.readouterr().err


def test_a_segment_list_naming_them_is_named_for_the_team_to_edit(tmp_path, capsys):
    """Lists (seeds/segment_lists/) are the team's files: their rows leave the warehouse and
    the file is named, since the next build loads it again."""
    project = SegmentProject.create(tmp_path)
    project.write_segments([segment("vip", {"in_list": {"list": "vip_emails", "by": "email"}})])
    project.write_list("vip_emails", f"email\n{EMAIL}\nother@example.com\n")
    project.compile()
    project.write_events(events(1))
    project.build()
    settings = Settings(events=str(project.events_dir), duckdb_path=project.duckdb_path)
    run_dbt(
        ["run-operation", "forget", "--args", '{"confirm": true}'],
        settings,
        target_path=tmp_path / "target",
        project_dir=project.project_dir,
        environ={"SEGMART_FORGET_REQUEST": json.dumps({"user_ids": [PERSON]})},
    )
    out = capsys.readouterr().out
    assert "reference.vip_emails: 1 rows deleted" in out
    assert "seeds/segment_lists/vip_emails.csv names them" in out
    assert project.query("select email from reference.vip_emails") == [("other@example.com",)]
    assert project.query("select count(*) from segments.vip") == [(0,)]
