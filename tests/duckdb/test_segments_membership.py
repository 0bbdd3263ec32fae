"""Membership over refreshes: the change feed, validity intervals, current memberships and the
catalog, on a real DuckDB file across four `dbt build`s (models/segments/_segment_tables.yml).

One user-grain segment, recent_buyers (an order in the last 7 days), moves through time:

    refresh  as_of        events delivered                         members
    1        AS_OF        alice -2d, bob -10d, carol -12h          alice, carol
    2        AS_OF        (nothing new)                            alice, carol   (no-op)
    3        AS_OF + 6d   erin at AS_OF + 5d                       carol, erin    (alice exits)
    4        AS_OF + 6d   alice again at AS_OF + 5d 12h            alice, carol, erin (re-entry)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from http_receiver import SECRET, Receiver
from segments_support import AS_OF, Events, SegmentProject, ago, campaign, later, segment

from segmart.activation import deliver_webhook
from segmart.cli import main
from segmart.registry.models import WebhookDestination

T1 = AS_OF
T3 = later(AS_OF, days=6)
T1_TEXT, T3_TEXT = T1.isoformat(), T3.isoformat()


def registry() -> list[dict]:
    recent = {"performed": {"event": "order_completed", "window": {"last_days": 7}}}
    return [
        segment("recent_buyers", recent),
        segment(
            "paid_clicks",
            {"attribute": "utm_medium", "equals": "cpc"},
            grain="session",
            min_members=1,
        ),
        segment("nobody", {"attribute": "country", "equals": "Atlantis"}, grain="session"),
    ]


def order(events: Events, visitor: str, when: datetime) -> None:
    events.track(visitor, "Order Completed", when, user=True, revenue=10)


def run_refreshes(root: Path, full_refresh_at: frozenset[int] = frozenset()) -> dict[int, dict]:
    """Build four times (`--full-refresh` at the steps named), delivering the changes of
    recent_buyers to a webhook after each; snapshot the tables and what the receiver got."""
    project = SegmentProject.create(root)
    project.write_segments(registry())
    project.compile()

    first = Events()
    order(first, "alice", ago(days=2))
    order(first, "bob", ago(days=10))
    order(first, "carol", ago(hours=12))
    first.page("dan", ago(days=1), context=campaign(source="google", medium="CPC"))
    project.write_events(first, "1.jsonl")

    receiver = Receiver()
    hook = WebhookDestination(url_env="BUYERS_HOOK", secret_env="BUYERS_SECRET")
    snapshots = {}
    steps = {
        1: (T1_TEXT, None),
        2: (T1_TEXT, None),
        3: (T3_TEXT, ("erin", later(AS_OF, days=5))),
        4: (T3_TEXT, ("alice", later(AS_OF, days=5, hours=12))),
    }
    try:
        for number, (as_of, new_order) in steps.items():
            if new_order:
                batch = Events()
                order(batch, *new_order)
                # Distinct message ids per batch: Events numbers from zero.
                for message in batch.messages:
                    message["messageId"] = f"batch{number}-{message['messageId']}"
                project.write_events(batch, f"{number}.jsonl")
            project.build(*(["--full-refresh"] if number in full_refresh_at else []), as_of=as_of)
            report = deliver_webhook(
                project.duckdb_path,
                "recent_buyers",
                hook,
                {"BUYERS_HOOK": receiver.url, "BUYERS_SECRET": SECRET},
            )
            assert not report.failed
            snapshots[number] = snapshot(project) | {"sent": sent(receiver)}
    finally:
        receiver.close()
    return snapshots


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory) -> dict[int, dict]:
    return run_refreshes(tmp_path_factory.mktemp("segments-membership"))


def sent(receiver: Receiver) -> list[tuple[str, list[str], list[str]]]:
    """Each delivered batch: its refresh time (the as-of), entered and exited member keys."""
    return [
        (
            body["refreshed_at"],
            [member["member_key"] for member in body["entered"]],
            [member["member_key"] for member in body["exited"]],
        )
        for _, body in receiver.accepted()
    ]


def snapshot(project: SegmentProject) -> dict:
    return {
        "members": sorted(
            row[0] for row in project.query("select visitor_id from segments.recent_buyers")
        ),
        "changes": sorted(
            project.query(
                "select visitor_id, change, changed_at from segments.segment_membership_changes "
                "where segment_name = 'recent_buyers'"
            )
        ),
        "history": sorted(
            project.query(
                "select visitor_id, valid_from, valid_to, is_current "
                "from segments.segment_membership_history where segment_name = 'recent_buyers'"
            )
        ),
        "memberships": sorted(
            project.query(
                "select segment_name, member_key, visitor_id, member_since, refreshed_at "
                "from segments.segment_memberships"
            )
        ),
        "sizes": project.query(
            "select changed_at, entered, exited, members from reports.segment_size_history "
            "where segment_name = 'recent_buyers' order by recorded_at"
        ),
        "catalog": {
            row["segment_name"]: row
            for row in project.query_dicts("select * from segments.segment_catalog")
        },
    }


def test_members_follow_the_reference_time(refreshes):
    assert refreshes[1]["members"] == ["alice", "carol"]
    assert refreshes[2]["members"] == ["alice", "carol"]
    assert refreshes[3]["members"] == ["carol", "erin"]
    assert refreshes[4]["members"] == ["alice", "carol", "erin"]


def test_the_first_refresh_records_everyone_entering(refreshes):
    assert refreshes[1]["changes"] == [("alice", "entered", T1), ("carol", "entered", T1)]


def test_a_refresh_that_changes_nothing_adds_no_change_rows(refreshes):
    assert refreshes[2]["changes"] == refreshes[1]["changes"]
    catalog = refreshes[2]["catalog"]["recent_buyers"]
    assert (catalog["entered_at_last_refresh"], catalog["exited_at_last_refresh"]) == (0, 0)
    assert catalog["size_change"] == 0


def test_exits_and_entries_are_appended(refreshes):
    assert refreshes[3]["changes"] == [
        ("alice", "entered", T1),
        ("alice", "exited", T3),
        ("carol", "entered", T1),
        ("erin", "entered", T3),
    ]
    assert refreshes[4]["changes"] == sorted([*refreshes[3]["changes"], ("alice", "entered", T3)])


def test_history_has_one_interval_per_stay(refreshes):
    assert refreshes[4]["history"] == [
        ("alice", T1, T3, False),
        ("alice", T3, None, True),
        ("carol", T1, None, True),
        ("erin", T3, None, True),
    ]


def test_size_history_has_the_size_after_each_refresh_that_changed_it(refreshes):
    assert refreshes[2]["sizes"] == [(T1, 2, 0, 2)]  # refresh 2 changed nothing: no row
    assert refreshes[4]["sizes"] == [(T1, 2, 0, 2), (T3, 1, 1, 2), (T3, 1, 0, 3)]
    assert refreshes[4]["sizes"][-1][3] == len(refreshes[4]["members"])


def test_memberships_say_since_when(refreshes):
    rows = [row for row in refreshes[4]["memberships"] if row[0] == "recent_buyers"]
    assert rows == [
        ("recent_buyers", "alice", "alice", T3, T3),
        ("recent_buyers", "carol", "carol", T1, T3),
        ("recent_buyers", "erin", "erin", T3, T3),
    ]
    session_rows = [row for row in refreshes[4]["memberships"] if row[0] == "paid_clicks"]
    assert [row[2] for row in session_rows] == ["dan"]
    assert session_rows[0][1] != "dan"  # a session-grain member is keyed by its session id


def test_catalog_sizes_changes_and_health(refreshes):
    catalog = refreshes[3]["catalog"]
    buyers = catalog["recent_buyers"]
    assert buyers["members"] == 2
    assert (buyers["entered_at_last_refresh"], buyers["exited_at_last_refresh"]) == (1, 1)
    assert buyers["size_change"] == 0
    assert buyers["health_warning"] == "too_small"  # 2 members, min_members defaults to 100
    assert buyers["last_refreshed_at"] == T3
    assert buyers["owner"] == "tests@example.com"
    assert buyers["registry_file"].endswith("recent_buyers.yml")

    assert catalog["paid_clicks"]["members"] == 1
    assert catalog["paid_clicks"]["health_warning"] is None
    assert catalog["nobody"]["members"] == 0
    assert catalog["nobody"]["health_warning"] == "empty"

    assert refreshes[4]["catalog"]["recent_buyers"]["size_change"] == 1


def test_refreshes_deliver_each_change_once(refreshes):
    assert refreshes[4]["sent"] == [
        (T1_TEXT, ["alice", "carol"], []),
        (T3_TEXT, ["erin"], ["alice"]),
        (T3_TEXT, ["alice"], []),
    ]


def test_a_full_refresh_keeps_membership_history_and_resends_nothing(refreshes, tmp_path):
    """Entries, exits and deliveries are facts about past refreshes: full refreshes (a no-op one
    and one with changes) record and send exactly what incremental refreshes alone did."""
    rebuilt = run_refreshes(tmp_path, full_refresh_at=frozenset({2, 3}))
    for step in refreshes:
        for table in ("changes", "history", "memberships", "sent"):
            assert rebuilt[step][table] == refreshes[step][table], (step, table)


def test_reset_history_says_what_it_deletes_and_deletes_only_when_confirmed(
    tmp_path, capsys, monkeypatch
):
    project = SegmentProject.create(tmp_path)
    project.write_segments(registry())
    project.compile()
    first = Events()
    order(first, "alice", ago(days=2))
    order(first, "carol", ago(hours=12))
    project.write_events(first, "1.jsonl")
    project.build(as_of=T1_TEXT)
    feed = "select visitor_id, change, changed_at from segments.segment_membership_changes"
    monkeypatch.setenv("SEGMART_DUCKDB", str(project.duckdb_path))

    assert main(["reset-history"]) == 1
    out, err = capsys.readouterr()
    assert "would delete 2 recorded entries and exits of 1 segments" in out
    assert "--yes" in err
    assert sorted(project.query(feed)) == [("alice", "entered", T1), ("carol", "entered", T1)]

    assert main(["reset-history", "--yes"]) == 0
    assert "deleted 2 recorded entries and exits of 1 segments" in capsys.readouterr().out

    # History starts anew: the current member enters at this refresh; alice, who left since,
    # has no recorded exit (nothing remembers she was in).
    project.build(as_of=T3_TEXT)
    assert project.query(feed) == [("carol", "entered", T3)]
