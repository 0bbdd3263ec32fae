"""Activation: each refresh's entered / exited members reach every destination exactly once.

A local HTTP server plays the receiver and fails requests on cue (500, 503, a slow answer past
the timeout, a redirect); every request it receives is checked with the receiver code of
docs/security.md. The warehouse is a small DuckDB file holding the two tables activation reads, with
the rows dbt would have written at two refreshes:

    refresh  recorded_at          changes of segment `vip`
    1        2026-10-01 01:00     entered a, b, c
    2        2026-10-02 01:00     entered d; exited a
"""

from __future__ import annotations

import base64
import csv
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from dagster import materialize
from http_receiver import SECRET, Receiver

from orchestration.assets import activation_deliveries
from orchestration.resources import ActivationResource, WarehouseResource
from segmart.activation import (
    RetrySettings,
    deliver_all,
    deliver_files,
    deliver_webhook,
    replay_dead_letters,
)
from segmart.cli import main
from segmart.registry import RegistryError, load_registry
from segmart.registry.models import FileDestination, WebhookDestination

R1 = datetime(2026, 10, 1, 1)
R2 = datetime(2026, 10, 2, 1)
FAST = RetrySettings(attempts=3, first_delay=0.01, timeout=0.5)
SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def documented_verify():
    """The receiver's `verify` exactly as docs/security.md gives it."""
    code = SECURITY_DOC.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)
    return namespace["verify"]


def no_sleep(_: float) -> None:
    pass


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "segmart.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema segments")
        connection.execute(
            "create table segments.segment_membership_changes (segment_name varchar, "
            "grain varchar, member_key varchar, visitor_id varchar, change varchar, "
            "changed_at timestamp, recorded_at timestamp)"
        )
        connection.execute(
            "create table segments.segment_memberships (segment_name varchar, grain varchar, "
            "member_key varchar, visitor_id varchar, member_since timestamp, "
            "refreshed_at timestamp)"
        )
    add_refresh(path, R1, entered="abc", exited="")
    add_refresh(path, R2, entered="d", exited="a")
    return path


def add_refresh(path: Path, at: datetime, entered: str, exited: str) -> None:
    rows = [("vip", "user", m, f"v_{m}", "entered", at, at) for m in entered]
    rows += [("vip", "user", m, f"v_{m}", "exited", at, at) for m in exited]
    with duckdb.connect(str(path)) as connection:
        connection.executemany(
            "insert into segments.segment_membership_changes values (?, ?, ?, ?, ?, ?, ?)", rows
        )
        connection.execute("delete from segments.segment_memberships")
        members = connection.execute(
            "select member_key from segments.segment_membership_changes group by member_key "
            "having arg_max(change, recorded_at) = 'entered' order by member_key"
        ).fetchall()
        connection.executemany(
            "insert into segments.segment_memberships values ('vip', 'user', ?, ?, ?, ?)",
            [(m, f"v_{m}", R1, at) for (m,) in members],
        )


def vip_segment():
    """The registry entry of SEGMENT_YAML (its webhook and its file)."""
    return load_registry(write_registry(Path(tempfile.mkdtemp())))["vip"]


def write_registry(folder: Path) -> Path:
    registry = folder / "segments"
    registry.mkdir(exist_ok=True)
    (registry / "vip.yml").write_text(SEGMENT_YAML)
    return registry


def send(warehouse: Path, receiver: Receiver, batch_size: int = 500, retry=FAST):
    destination = WebhookDestination(
        url_env="VIP_HOOK", secret_env="VIP_SECRET", batch_size=batch_size
    )
    environ = {"VIP_HOOK": receiver.url, "VIP_SECRET": SECRET}
    return deliver_webhook(warehouse, "vip", destination, environ, retry, no_sleep)


def keys(bodies) -> list[tuple[str, int]]:
    return [(body["recorded_at"], body["part"]) for _, body in bodies]


# --- webhook ---------------------------------------------------------------------------------


def test_webhook_posts_each_refresh_as_one_json_batch(warehouse, receiver):
    report = send(warehouse, receiver)
    assert not report.failed
    first, second = [body for _, body in receiver.accepted()]
    assert first["segment"] == "vip"
    assert first["recorded_at"] == R1.isoformat() and first["refreshed_at"] == R1.isoformat()
    assert [m["member_key"] for m in first["entered"]] == ["a", "b", "c"]
    assert first["exited"] == []
    assert [m["member_key"] for m in second["entered"]] == ["d"]
    assert second["exited"] == [{"member_key": "a", "visitor_id": "v_a"}]


def test_transient_failures_are_retried_and_each_change_arrives_once(warehouse, receiver):
    receiver.plan = [500, 200, 503, "slow", 200]  # refresh 1 needs 2 tries, refresh 2 needs 3
    report = send(warehouse, receiver, retry=RetrySettings(attempts=3, first_delay=0, timeout=0.5))
    assert not report.failed
    assert keys(receiver.accepted()) == [(R1.isoformat(), 0), (R2.isoformat(), 0)]
    # Every retry of a part carried the same idempotency key.
    by_part = {}
    for _, key, body in receiver.requests:
        by_part.setdefault((body["recorded_at"], body["part"]), set()).add(key)
    assert all(len(found) == 1 for found in by_part.values())

    again = send(warehouse, receiver)  # a retried run: nothing left to send
    assert again.delivered == [] and not again.failed
    assert len(receiver.accepted()) == 2


def test_a_crash_after_the_receivers_200_resends_the_part_with_the_same_id(
    warehouse, receiver, monkeypatch
):
    """The one gap the log cannot close: the process dies after the receiver accepted a part and
    before the log write. The next run sends that part again, under the same id, so the
    receiver can drop it; the log then holds it once."""

    def crash(*args, **kwargs):
        raise SystemExit("killed before the log write")

    with monkeypatch.context() as patch:
        patch.setattr("segmart.activation._log_delivery", crash)
        with pytest.raises(SystemExit):
            send(warehouse, receiver)
    assert len(receiver.accepted()) == 1
    report = send(warehouse, receiver)
    assert len(report.delivered) == 2
    first, again, _ = receiver.raw
    assert first[1] == again[1]  # the same body
    assert first[0]["webhook-id"] == again[0]["webhook-id"]
    assert first[0]["idempotency-key"] == again[0]["idempotency-key"]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        logged = connection.execute("select count(*) from activation.delivery_log").fetchone()[0]
    assert logged == 2


def test_a_failed_delivery_is_sent_next_time_and_what_went_through_is_not_resent(
    warehouse, receiver
):
    # Parts of 2 members: refresh 1 = [a, b] [c], refresh 2 = [d + exited a].
    receiver.plan = [200, 500, 500, 500]  # the second part fails every attempt of this run
    first_run = send(warehouse, receiver, batch_size=2)
    assert len(first_run.failed) == 1 and "HTTPError" in first_run.failed[0]
    assert keys(receiver.accepted()) == [(R1.isoformat(), 0)]

    second_run = send(warehouse, receiver, batch_size=2)
    assert not second_run.failed
    assert keys(receiver.accepted()) == [
        (R1.isoformat(), 0),
        (R1.isoformat(), 1),  # resumed at the part that failed
        (R2.isoformat(), 0),
    ]
    assert [body["parts"] for _, body in receiver.accepted()] == [2, 2, 1]


def test_a_changed_batch_size_never_moves_a_pending_member_to_another_key(warehouse, receiver):
    # Refresh 1 in parts of 2: [a, b] [c]. The receiver takes [c] but the answer is lost (a
    # timeout: as if we crashed before logging it), so [c] is pending when batch_size changes.
    receiver.plan = [200, "slow"]
    first_run = send(warehouse, receiver, batch_size=2, retry=RetrySettings(1, 0, 0.5))
    assert len(first_run.failed) == 1

    second_run = send(warehouse, receiver, batch_size=1)
    assert not second_run.failed
    by_key: dict[str, set[tuple[str, ...]]] = {}
    for _, key, body in receiver.requests:
        members = tuple(m["member_key"] for m in body["entered"] + body["exited"])
        by_key.setdefault(key, set()).add((body["recorded_at"], *members))
    # Each key always covers the same members: c went out twice, under one key both times.
    assert all(len(contents) == 1 for contents in by_key.values())
    r1 = R1.isoformat()
    assert sorted(next(iter(c)) for c in by_key.values()) == [
        (r1, "a", "b"),
        (r1, "c"),
        (R2.isoformat(), "a"),  # refresh 2 was first sent after the change: parts of 1
        (R2.isoformat(), "d"),
    ]


def test_a_forgotten_member_moves_no_one_into_a_part_already_delivered(warehouse, receiver):
    """`segmart forget` deletes a person's changes, maybe from a refresh partly delivered:
    the rest keep their planned parts, so nobody slides into a part already sent."""
    receiver.plan = [200, 500, 500, 500]  # refresh 1 in parts of 2: [a, b] sent, [c] fails
    send(warehouse, receiver, batch_size=2)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("delete from segments.segment_membership_changes where member_key = 'a'")

    assert not send(warehouse, receiver, batch_size=2).failed
    sent = [
        (body["recorded_at"], body["part"], [m["member_key"] for m in body["entered"]])
        for _, body in receiver.accepted()
    ]
    r1, r2 = R1.isoformat(), R2.isoformat()
    assert sent == [(r1, 0, ["a", "b"]), (r1, 1, ["c"]), (r2, 0, ["d"])]


def test_only_a_new_refresh_is_sent_after_earlier_ones_were_delivered(warehouse, receiver):
    send(warehouse, receiver)
    add_refresh(warehouse, datetime(2026, 10, 3, 1), entered="e", exited="")
    send(warehouse, receiver)
    assert [body["recorded_at"] for _, body in receiver.accepted()] == [
        R1.isoformat(),
        R2.isoformat(),
        "2026-10-03T01:00:00",
    ]


def test_a_client_error_is_not_retried(warehouse, receiver):
    receiver.plan = [400]
    report = send(warehouse, receiver)
    assert len(receiver.requests) == 1 and "400" in report.misconfigured[0]
    assert not report.failed  # nothing a retry could fix


def test_a_refused_part_is_a_dead_letter_with_the_answer_kept_and_replayed_once(
    warehouse, receiver, tmp_path, monkeypatch, capsys
):
    receiver.plan = [422]
    send(warehouse, receiver)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        letters = connection.execute(
            "select recorded_at, part, status, reason, response from activation.dead_letters"
        ).fetchall()
    assert letters == [(R1, 0, 422, "HTTPError: HTTP Error 422: Unprocessable Entity", "{}")]
    # Later runs go on without it; status counts it.
    assert send(warehouse, receiver).delivered == [f"webhook:VIP_HOOK vip {R2.isoformat()} 0"]
    registry = write_registry(tmp_path)
    monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse))
    monkeypatch.setenv("VIP_HOOK", receiver.url)
    monkeypatch.setenv("VIP_SECRET", SECRET)
    assert main(["activation", "status", "--segments", str(registry)]) == 0
    assert "1 refresh(es); 1 dead letter(s)" in capsys.readouterr().out
    # Replayed under its own id, once: a second replay finds nothing.
    assert main(["activation", "replay", "--segments", str(registry)]) == 0
    assert capsys.readouterr().out == f"delivered webhook:VIP_HOOK vip {R1.isoformat()} 0\n"
    assert main(["activation", "replay", "--segments", str(registry)]) == 0
    assert capsys.readouterr().out == "no dead letter to replay\n"
    r1 = [
        raw for raw in receiver.raw if b'"part": 0' in raw[1] and R1.isoformat().encode() in raw[1]
    ]
    assert len(r1) == 2 and r1[0][0]["webhook-id"] == r1[1][0]["webhook-id"]
    assert keys(receiver.accepted()) == [(R2.isoformat(), 0), (R1.isoformat(), 0)]
    assert main(["activation", "status", "--segments", str(registry)]) == 0
    assert "0 refresh(es)" in capsys.readouterr().out


def test_a_dead_letter_whose_refresh_was_reset_is_reported_not_sent(warehouse, receiver):
    receiver.plan = [422]
    send(warehouse, receiver)
    with duckdb.connect(str(warehouse)) as connection:  # as segmart reset-history would
        connection.execute("delete from segments.segment_membership_changes")
    environ = {"VIP_HOOK": receiver.url, "VIP_SECRET": SECRET}
    report = replay_dead_letters(warehouse, [vip_segment()], environ, FAST, no_sleep)
    assert not report.delivered and len(receiver.requests) == 1
    assert "the refresh's changes are gone" in report.misconfigured[0]


def test_a_part_failing_run_after_run_becomes_a_dead_letter(warehouse, receiver):
    retry = RetrySettings(attempts=1, first_delay=0, timeout=0.5, failed_runs=3)
    for _ in range(3):
        receiver.plan = [503]
        report = send(warehouse, receiver, retry=retry)
        assert len(report.failed) == 1 and not report.delivered
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (reason,) = connection.execute("select reason from activation.dead_letters").fetchone()
    assert reason.startswith("failed 3 runs in a row; the last: HTTPError: HTTP Error 503")
    assert len(send(warehouse, receiver, retry=retry).delivered) == 1  # the next refresh


def test_a_server_error_is_a_transient_failure(warehouse, receiver):
    receiver.plan = [503, 503, 503]  # every attempt of this run
    report = send(warehouse, receiver)
    assert len(receiver.requests) == 3 and "503" in report.failed[0]
    assert not report.misconfigured


def test_the_url_comes_from_the_environment_never_the_registry(warehouse, tmp_path, receiver):
    destination = WebhookDestination(url_env="VIP_HOOK", secret_env="VIP_SECRET")
    environ = {"VIP_SECRET": SECRET}
    report = deliver_webhook(warehouse, "vip", destination, environ, FAST, no_sleep)
    assert report.misconfigured == ["webhook:VIP_HOOK vip: environment variable VIP_HOOK unset"]
    assert not report.failed

    registry = tmp_path / "segments"
    registry.mkdir()
    (registry / "vip.yml").write_text(
        SEGMENT_YAML.replace("url_env: VIP_HOOK", f'url: "{receiver.url}"')
    )
    with pytest.raises(RegistryError) as error:
        load_registry(registry)
    assert "unknown field 'url' (did you mean 'url_env'?)" in str(error.value.problems[0])


# --- signatures and answers (docs/security.md) --------------------------------------------------


def test_every_request_is_signed_as_the_documented_receiver_verifies(warehouse, receiver):
    receiver.plan = [500]  # a retry is signed too, under the same id
    assert not send(warehouse, receiver).failed
    verify = documented_verify()
    assert len(receiver.raw) == 3
    for headers, body in receiver.raw:
        assert verify(headers, body, SECRET)
        assert headers["webhook-id"] == headers["idempotency-key"]
    assert receiver.raw[0][0]["webhook-id"] == receiver.raw[1][0]["webhook-id"]


def test_the_receiver_rejects_a_tampered_body_another_secret_or_an_old_request(warehouse, receiver):
    send(warehouse, receiver)
    verify = documented_verify()
    headers, body = receiver.raw[0]
    assert verify(headers, body, SECRET)
    assert not verify(headers, body.replace(b'"a"', b'"z"'), SECRET)
    other = "whsec_" + base64.b64encode(bytes(32)).decode()
    assert not verify(headers, body, other)
    replayed = headers | {"webhook-timestamp": str(int(time.time()) - 3600)}
    assert not verify(replayed, body, SECRET)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("not base64!", "is not base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "holds 5 bytes (expected 24 to 64)"),
    ],
)
def test_a_malformed_secret_is_a_configuration_error_that_never_shows_it(
    warehouse, receiver, secret, problem
):
    destination = WebhookDestination(url_env="VIP_HOOK", secret_env="VIP_SECRET")
    environ = {"VIP_HOOK": receiver.url, "VIP_SECRET": secret}
    report = deliver_webhook(warehouse, "vip", destination, environ, FAST, no_sleep)
    (message,) = report.misconfigured
    assert f"the secret in VIP_SECRET {problem}" in message and secret not in message
    assert receiver.requests == []


def test_a_redirect_is_not_followed_and_not_counted_as_delivered(warehouse, receiver):
    receiver.plan = [(302, {"Location": "/elsewhere"})]
    report = send(warehouse, receiver)
    (message,) = report.misconfigured
    assert "HTTP 302 redirect to /elsewhere, not followed" in message
    assert receiver.gets == [] and len(receiver.requests) == 1
    assert not report.delivered
    # A dead letter: the next run goes on with the next refresh; a replay sends it.
    assert [(b["recorded_at"], b["part"]) for _, _, b in receiver.requests] == [(R1.isoformat(), 0)]
    assert send(warehouse, receiver).delivered == [f"webhook:VIP_HOOK vip {R2.isoformat()} 0"]
    environ = {"VIP_HOOK": receiver.url, "VIP_SECRET": SECRET}
    replayed = replay_dead_letters(warehouse, [vip_segment()], environ, FAST, no_sleep)
    assert replayed.delivered == [f"webhook:VIP_HOOK vip {R1.isoformat()} 0"]


def test_429_and_503_wait_as_long_as_retry_after_asks(warehouse, receiver):
    receiver.plan = [(429, {"Retry-After": "7"}), (503, {"Retry-After": "0"})]
    waits: list[float] = []
    destination = WebhookDestination(url_env="VIP_HOOK", secret_env="VIP_SECRET")
    environ = {"VIP_HOOK": receiver.url, "VIP_SECRET": SECRET}
    report = deliver_webhook(warehouse, "vip", destination, environ, FAST, waits.append)
    assert not report.failed and len(report.delivered) == 2
    assert waits == [7.0, 0.02]  # the backoff when Retry-After asks less


def test_a_retry_after_past_the_longest_wait_leaves_the_part_to_the_next_run(warehouse, receiver):
    receiver.plan = [(503, {"Retry-After": "3600"})]
    report = send(warehouse, receiver)
    assert "asked to retry after 3600 s" in report.failed[0]
    assert len(receiver.requests) == 1 and not report.delivered


def test_410_gone_disables_the_destination_until_it_is_enabled_again(
    warehouse, receiver, tmp_path, monkeypatch, capsys
):
    receiver.plan = [410]
    report = send(warehouse, receiver)
    assert "HTTP Error 410" in report.misconfigured[0] and len(receiver.requests) == 1
    # Disabled: later runs send nothing and say how to enable it.
    again = send(warehouse, receiver)
    assert len(receiver.requests) == 1 and not again.delivered
    assert "disabled since" in again.misconfigured[0]
    assert "segmart activation enable webhook:VIP_HOOK" in again.misconfigured[0]

    registry = tmp_path / "segments"
    registry.mkdir()
    (registry / "vip.yml").write_text(SEGMENT_YAML)
    monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse))
    assert main(["activation", "status", "--segments", str(registry)]) == 0
    status = capsys.readouterr().out
    assert "webhook:VIP_HOOK" in status and "2 refresh(es); disabled: " in status
    assert "HTTP 410 Gone" in status

    assert main(["activation", "enable", "webhook:VIP_HOOK"]) == 0
    assert main(["activation", "enable", "webhook:VIP_HOOK"]) == 1  # not disabled any more
    assert "is not disabled" in capsys.readouterr().err
    assert len(send(warehouse, receiver).delivered) == 2
    assert main(["activation", "status", "--segments", str(registry)]) == 0
    assert "0 refresh(es)" in capsys.readouterr().out


def test_activation_status_before_any_delivery(warehouse, tmp_path, monkeypatch, capsys):
    registry = tmp_path / "segments"
    registry.mkdir()
    (registry / "vip.yml").write_text(SEGMENT_YAML)
    monkeypatch.setenv("SEGMART_DUCKDB", str(warehouse))
    assert main(["activation", "status", "--segments", str(registry)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "destination",
        "segment",
        "delivered_parts",
        "last_delivered_at",
        "waiting",
    ]
    assert [line.split()[:3] for line in lines[2:4]] == [
        ["webhook:VIP_HOOK", "vip", "0"],
        ["file:csv", "vip", "0"],
    ]
    assert all("2 refresh(es)" in line for line in lines[2:4])


def test_activation_on_a_server_warehouse_fails_naming_the_target(tmp_path, monkeypatch):
    registry = tmp_path / "segments"
    registry.mkdir()
    (registry / "vip.yml").write_text(SEGMENT_YAML)
    resources = {
        "warehouse": WarehouseResource(
            events=str(tmp_path), duckdb_path=str(tmp_path / "w.duckdb"), target="postgres"
        ),
        "activation": ActivationResource(
            segments_dir=str(registry), output_dir=str(tmp_path / "out")
        ),
    }
    result = materialize([activation_deliveries], resources=resources, raise_on_error=False)
    assert not result.success
    (failure,) = [event for event in result.all_events if event.event_type_value == "STEP_FAILURE"]
    assert "not from the postgres target" in failure.event_specific_data.error.message


# --- files -----------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_files_hold_current_members_and_each_refresh_written_atomically(warehouse, tmp_path):
    out = tmp_path / "activation"
    deliver_files(warehouse, "vip", FileDestination(format="csv"), out)
    members = read_csv(out / "vip" / "members.csv")
    assert [row["member_key"] for row in members] == ["b", "c", "d"]
    changes = sorted((out / "vip" / "changes").iterdir())
    assert [p.name for p in changes] == ["20261001T010000000000.csv", "20261002T010000000000.csv"]
    assert [(r["member_key"], r["change"]) for r in read_csv(changes[1])] == [
        ("d", "entered"),
        ("a", "exited"),
    ]
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]  # no half-written files left

    written = {p: p.stat().st_mtime_ns for p in changes}
    report = deliver_files(warehouse, "vip", FileDestination(format="csv"), out)
    assert report.delivered == []  # refreshes already written are not written again
    assert {p: p.stat().st_mtime_ns for p in changes} == written


def test_parquet_files(warehouse, tmp_path):
    deliver_files(warehouse, "vip", FileDestination(format="parquet"), tmp_path)
    rows = duckdb.sql(
        f"select member_key from read_parquet('{tmp_path}/vip/members.parquet') order by 1"
    ).fetchall()
    assert rows == [("b",), ("c",), ("d",)]


# --- through Dagster ---------------------------------------------------------------------------

SEGMENT_YAML = """\
name: vip
title: VIPs
description: Very important people.
owner: crm@example.com
use_case: Send them a gift.
visibility: private
grain: user
refresh: daily
destinations:
  - webhook: {url_env: VIP_HOOK, secret_env: VIP_SECRET}
  - file: {format: csv}
where:
  performed: {event: order_completed}
"""


def test_the_activation_asset_delivers_every_destination_of_the_registry(
    warehouse, tmp_path, receiver, monkeypatch
):
    registry = tmp_path / "segments"
    registry.mkdir()
    (registry / "vip.yml").write_text(SEGMENT_YAML)
    monkeypatch.setenv("VIP_HOOK", receiver.url)
    monkeypatch.setenv("VIP_SECRET", SECRET)
    resources = {
        "warehouse": WarehouseResource(events=str(tmp_path), duckdb_path=str(warehouse)),
        "activation": ActivationResource(
            segments_dir=str(registry), output_dir=str(tmp_path / "out")
        ),
    }
    result = materialize([activation_deliveries], resources=resources)
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.step_materialization_data.materialization.metadata
    assert metadata["delivered"].value == 4  # 2 refreshes x (webhook + file)
    assert len(receiver.accepted()) == 2
    assert (tmp_path / "out" / "vip" / "members.csv").exists()

    again = materialize([activation_deliveries], resources=resources)  # a re-run sends nothing
    (event,) = again.get_asset_materialization_events()
    assert event.step_materialization_data.materialization.metadata["delivered"].value == 0
    assert len(receiver.accepted()) == 2


def test_segments_without_destinations_deliver_nothing(warehouse, tmp_path):
    report = deliver_all(warehouse, load_registry(), tmp_path)
    assert report.delivered == [] and not report.failed


def activation_run(tmp_path: Path, warehouse: Path):
    """One materialization of the activation asset for the segment `vip` (webhook + file)."""
    registry = tmp_path / "segments"
    registry.mkdir(exist_ok=True)
    (registry / "vip.yml").write_text(SEGMENT_YAML)
    resources = {
        "warehouse": WarehouseResource(events=str(tmp_path), duckdb_path=str(warehouse)),
        "activation": ActivationResource(
            segments_dir=str(registry), output_dir=str(tmp_path / "out")
        ),
    }
    return materialize([activation_deliveries], resources=resources, raise_on_error=False)


def test_an_unset_url_variable_fails_the_run_at_once_and_is_not_retried(
    warehouse, tmp_path, monkeypatch
):
    """A setting no retry can fix: the step fails on its first attempt, naming the variable
    (the asset's retry policy would otherwise retry it for minutes). The file destination of the
    same segment is still delivered."""
    monkeypatch.delenv("VIP_HOOK", raising=False)
    monkeypatch.setenv("VIP_SECRET", SECRET)
    result = activation_run(tmp_path, warehouse)
    assert not result.success
    kinds = [event.event_type_value for event in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in kinds and kinds.count("STEP_FAILURE") == 1
    (failure,) = [event for event in result.all_events if event.event_type_value == "STEP_FAILURE"]
    assert "environment variable VIP_HOOK unset" in failure.event_specific_data.error.message
    assert (tmp_path / "out" / "vip" / "members.csv").exists()
