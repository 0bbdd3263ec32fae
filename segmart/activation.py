"""Activation: deliver each segment refresh's entered / exited members to the destinations its
registry entry names.

A refresh's changes are the rows of `segments.segment_membership_changes` with one
`recorded_at`. Each (destination, segment, recorded_at, part) is delivered at most once: it is
written to `activation.delivery_log` in the warehouse as soon as the destination accepted it, and
what is logged is never sent again, so a retried run sends only what had not gone through, and a
failed delivery is retried by the next run. Webhook requests carry an `Idempotency-Key` header
(the same on every retry of a part) for the one gap no log closes: a process killed between the
receiver's "200" and the log write.

- webhook: POST JSON `{segment, refreshed_at, recorded_at, part, parts, entered[], exited[]}`
  to the URL in the environment variable `url_env`, signed with the secret in `secret_env` as
  Standard Webhooks sign (docs/security.md), with a timeout and retries with exponential backoff
  on connection errors, timeouts, 408, 429 and 5xx (429 and 503 wait as long as Retry-After
  asks). Redirects are never followed. An unset variable, a secret that is not one, a redirect
  or another 4xx answer is a configuration error: reported at once, never retried; a refused
  part becomes a dead letter (replayed by replay_dead_letters), 410 Gone disables the
  destination until enable_destination.
- file: `SEGMART_ACTIVATION_DIR/<segment>/members.<fmt>` (current members, replaced each run)
  and `changes/<recorded_at>.<fmt>` per refresh, written to a temporary name and renamed, so a
  reader never sees half a file.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import email.utils
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from segmart.registry.models import FileDestination, Segment, WebhookDestination
from segmart.settings import PROJECT_DIR, ConfigurationError, Settings
from segmart.sql import duckdb_string, literal

ACTIVATION_DIR_ENV = "SEGMART_ACTIVATION_DIR"
DEFAULT_ACTIVATION_DIR = PROJECT_DIR / "warehouse" / "activation"
LOG_TABLE = "activation.delivery_log"
PLANS_TABLE = "activation.delivery_plans"
DISABLED_TABLE = "activation.disabled_destinations"
DEAD_LETTERS_TABLE = "activation.dead_letters"
FAILURES_TABLE = "activation.delivery_failures"
CHANGES_TABLE = "segments.segment_membership_changes"
MEMBERS_TABLE = "segments.segment_memberships"

# The key of a part: (destination, segment, refresh, part), in every table about parts.
_PART_COLUMNS = """\
    destination varchar not null,
    segment_name varchar not null,
    recorded_at timestamp not null,
    part integer not null,"""
_PART_KEY = "primary key (destination, segment_name, recorded_at, part)"

_CREATE_LOG = f"""
create schema if not exists activation;
create table if not exists {LOG_TABLE} (
{_PART_COLUMNS}
    parts integer not null,
    members integer not null,
    idempotency_key varchar not null,
    delivered_at timestamp not null,
    attempts integer not null,
    {_PART_KEY}
);
create table if not exists {PLANS_TABLE} (
    destination varchar not null,
    segment_name varchar not null,
    recorded_at timestamp not null,
    batch_size integer not null,
    planned_at timestamp not null,
    primary key (destination, segment_name, recorded_at)
);
-- Each part's first member, as JSON [[change, member_key], ...] (null in plans made before it).
alter table {PLANS_TABLE} add column if not exists part_starts varchar;
create table if not exists {DISABLED_TABLE} (
    destination varchar not null primary key,
    disabled_at timestamp not null,
    reason varchar not null
);
create table if not exists {FAILURES_TABLE} (
{_PART_COLUMNS}
    failed_runs integer not null,
    last_error varchar not null,
    {_PART_KEY}
);
create table if not exists {DEAD_LETTERS_TABLE} (
{_PART_COLUMNS}
    status integer,
    reason varchar not null,
    response varchar,
    dead_at timestamp not null,
    replayed_at timestamp,
    {_PART_KEY}
)
"""


@dataclass(frozen=True)
class RetrySettings:
    attempts: int = 4
    first_delay: float = 1.0  # seconds; doubles after each failed attempt
    timeout: float = 10.0
    # The longest Retry-After waited for within a run; a longer one leaves the part to a later
    # run (a transient failure).
    longest_wait: float = 300.0
    # Runs in a row whose every attempt at a part failed before it becomes a dead letter.
    failed_runs: int = 5


@dataclass(frozen=True)
class ChangeBatch:
    """One refresh's changes of one segment."""

    segment: str
    recorded_at: datetime
    changed_at: datetime
    entered: list[dict[str, str]]
    exited: list[dict[str, str]]


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)  # "destination segment recorded_at part"
    skipped: int = 0  # parts already in the log
    # "destination segment: error": transient faults (network, timeouts, 408, 429, 5xx) that a
    # later attempt may get through
    failed: list[str] = field(default_factory=list)
    # "destination segment: error": what no retry can fix (an unset URL variable, a receiver
    # answering 4xx): the settings must change
    misconfigured: list[str] = field(default_factory=list)

    def merge(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.skipped += other.skipped
        self.failed += other.failed
        self.misconfigured += other.misconfigured


class DeliveryError(RuntimeError):
    """A POST that did not go through; `retryable` when a later attempt may succeed; `status`:
    the receiver's HTTP answer, if it answered."""

    def __init__(
        self, message: str, retryable: bool, status: int | None = None, response: str = ""
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.response = response  # the start of the receiver's answer, as it explains the refusal


def destination_id(destination: WebhookDestination | FileDestination) -> str:
    if isinstance(destination, WebhookDestination):
        return f"webhook:{destination.url_env}"
    return f"file:{destination.format}"


def idempotency_key(destination: str, segment: str, recorded_at: datetime, part: int) -> str:
    text = f"{destination}|{segment}|{recorded_at.isoformat()}|{part}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- the warehouse side ------------------------------------------------------------------------


def _connect(duckdb_path: Path | str, read_only: bool = False):
    return duckdb.connect(str(duckdb_path), read_only=read_only)


def activation_warehouse(settings: Settings) -> Path:
    """The DuckDB file activation reads the changes from and logs its deliveries in."""
    from segmart.targets import target_of

    path = target_of(settings).built_duckdb_file()
    if path is None:
        raise ConfigurationError(
            "activation delivers from the DuckDB warehouse only, not from the "
            f"{settings.target} target; remove the segments' destinations or run it on DuckDB"
        )
    return path


def ensure_log(duckdb_path: Path | str) -> None:
    with _connect(duckdb_path) as connection:
        connection.execute(_CREATE_LOG)


def _delivered_parts(connection, destination: str, segment: str) -> set[tuple[datetime, int]]:
    rows = connection.execute(
        f"select recorded_at, part from {LOG_TABLE} where destination = ? and segment_name = ?",
        [destination, segment],
    ).fetchall()
    return {(row[0], row[1]) for row in rows}


def pending_batches(duckdb_path: Path | str, destination: str, segment: str) -> list[ChangeBatch]:
    """Refreshes of the segment with a part not yet delivered to the destination, oldest first.
    (Parts already delivered are skipped again at send time.)"""
    with _connect(duckdb_path) as connection:
        connection.execute(_CREATE_LOG)
        rows = connection.execute(
            f"""
            select recorded_at, changed_at, change, member_key, visitor_id
            from {CHANGES_TABLE} as changes
            where segment_name = ?
              and not exists (
                  select 1 from {LOG_TABLE} as log
                  where log.destination = ? and log.segment_name = changes.segment_name
                    and log.recorded_at = changes.recorded_at and log.part = log.parts - 1
              )
            order by recorded_at, change, member_key
            """,
            [segment, destination],
        ).fetchall()
    batches: dict[datetime, ChangeBatch] = {}
    for recorded_at, changed_at, change, member_key, visitor_id in rows:
        batch = batches.setdefault(
            recorded_at, ChangeBatch(segment, recorded_at, changed_at, [], [])
        )
        member = {"member_key": member_key, "visitor_id": visitor_id}
        (batch.entered if change == "entered" else batch.exited).append(member)
    return list(batches.values())


def _log_delivery(
    duckdb_path: Path | str,
    destination: str,
    batch: ChangeBatch,
    part: int,
    parts: int,
    members: int,
    attempts: int,
) -> None:
    with _connect(duckdb_path) as connection:
        connection.execute(
            f"insert or ignore into {LOG_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                destination,
                batch.segment,
                batch.recorded_at,
                part,
                parts,
                members,
                idempotency_key(destination, batch.segment, batch.recorded_at, part),
                datetime.now(UTC).replace(tzinfo=None),
                attempts,
            ],
        )


def _pinned_parts(
    duckdb_path: Path | str, destination: str, batch: ChangeBatch, batch_size: int
) -> list[tuple[list[dict], list[dict]]]:
    """A refresh's parts for this destination, as planned when its first part was about to be
    sent (the plan is recorded before anything is sent): by the batch size then in force, and
    pinned by each part's first member. So neither a changed `batch_size` nor a member removed
    since (`segmart forget`) moves a member into another part with another idempotency key
    while the receiver may already hold the first (a retry after a crash between its 200 and
    our log), or into a part already delivered."""
    planned = _parts(batch, batch_size)
    with _connect(duckdb_path) as connection:
        connection.execute(
            f"insert or ignore into {PLANS_TABLE} "
            "(destination, segment_name, recorded_at, batch_size, planned_at, part_starts) "
            "values (?, ?, ?, ?, ?, ?)",
            [
                destination,
                batch.segment,
                batch.recorded_at,
                batch_size,
                datetime.now(UTC).replace(tzinfo=None),
                json.dumps([_first_member(part) for part in planned]),
            ],
        )
        pinned_size, starts = connection.execute(
            f"select batch_size, part_starts from {PLANS_TABLE} "
            "where destination = ? and segment_name = ? and recorded_at = ?",
            [destination, batch.segment, batch.recorded_at],
        ).fetchone()
    if starts is None:  # planned by a version that pinned the size only
        return _parts(batch, pinned_size)
    return _parts_from(batch, [tuple(start) for start in json.loads(starts)])


def _first_member(part: tuple[list[dict], list[dict]]) -> tuple[str, str] | None:
    entered, exited = part
    if entered:
        return ("entered", entered[0]["member_key"])
    return ("exited", exited[0]["member_key"]) if exited else None


def _parts_from(
    batch: ChangeBatch, starts: list[tuple[str, str] | None]
) -> list[tuple[list[dict], list[dict]]]:
    """Split a batch at the planned parts' first members: a member goes to the last part that
    starts at or before it (the order of _parts: entered, then exited, each by member_key)."""
    parts: list[tuple[list[dict], list[dict]]] = [([], []) for _ in starts] or [([], [])]
    firsts = [start for start in starts if start is not None]
    for change, members in (("entered", batch.entered), ("exited", batch.exited)):
        for member in members:
            index = max(bisect.bisect_right(firsts, (change, member["member_key"])) - 1, 0)
            parts[index][0 if change == "entered" else 1].append(member)
    return parts


def disabled_destinations(duckdb_path: Path | str) -> dict[str, str]:
    """Destination -> when and why it was disabled (a receiver that answered 410 Gone)."""
    with _connect(duckdb_path) as connection:
        connection.execute(_CREATE_LOG)
        rows = connection.execute(
            f"select destination, disabled_at, reason from {DISABLED_TABLE} order by destination"
        ).fetchall()
    return {dest: f"{at:%Y-%m-%d %H:%M:%S} UTC: {reason}" for dest, at, reason in rows}


def enable_destination(duckdb_path: Path | str, destination: str) -> bool:
    """Deliver to a disabled destination again (from its first undelivered part); whether it
    was disabled."""
    with _connect(duckdb_path) as connection:
        connection.execute(_CREATE_LOG)
        deleted = connection.execute(
            f"delete from {DISABLED_TABLE} where destination = ? returning destination",
            [destination],
        ).fetchall()
    return bool(deleted)


# --- webhook ---------------------------------------------------------------------------------


def _parts(batch: ChangeBatch, size: int) -> list[tuple[list[dict], list[dict]]]:
    """Split a batch into parts of at most `size` members (entered first); at least one part,
    so a refresh with changes always reaches the destination."""
    size = max(size, 1)
    tagged = [("entered", m) for m in batch.entered] + [("exited", m) for m in batch.exited]
    chunks = [tagged[i : i + size] for i in range(0, len(tagged), size)] or [[]]
    return [
        (
            [m for kind, m in chunk if kind == "entered"],
            [m for kind, m in chunk if kind == "exited"],
        )
        for chunk in chunks
    ]


def _retryable(error: Exception) -> bool:
    if isinstance(error, urllib.error.HTTPError):
        return error.code in (408, 429) or error.code >= 500
    return True  # connection refused or reset, timeout, DNS: transient


def signing_key(secret: str) -> bytes:
    """The key of a Standard Webhooks secret: `whsec_` (optional) and base64 of 24 to 64 random
    bytes. Raises ValueError naming what is wrong, never the secret itself."""
    try:
        key = base64.b64decode(secret.strip().removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not base64 (expected whsec_ and base64 of 24 to 64 bytes)") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"holds {len(key)} bytes (expected 24 to 64)")
    return key


def signature_headers(key: bytes, message_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Standard Webhooks headers: the receiver recomputes the HMAC-SHA256 of
    `id.timestamp.body` with the shared secret (docs/security.md)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx answer is an error, not a new request: followed, a 302 became a GET without the
    body, and its 200 was taken for a delivery."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_RefuseRedirects)


def _retry_after(error: Exception) -> float | None:
    """The seconds a 429 or 503 answer asks to wait (Retry-After: seconds or an HTTP date)."""
    if not isinstance(error, urllib.error.HTTPError) or error.code not in (429, 503):
        return None
    value = (error.headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _answer(error: Exception) -> tuple[int | None, str]:
    """The receiver's status and the start of its answer's body (none without an answer)."""
    if not isinstance(error, urllib.error.HTTPError):
        return None, ""
    try:
        body = error.read(1000).decode("utf-8", errors="replace")
    except OSError:
        body = ""
    return error.code, body


def _failure(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError) and 300 <= error.code < 400:
        location = error.headers.get("Location") or "no Location"
        return f"HTTP {error.code} redirect to {location}, not followed (set the final URL)"
    return f"{type(error).__name__}: {error}"


def post_json(
    url: str,
    payload: Mapping[str, Any],
    key: str,
    signing: bytes,
    retry: RetrySettings,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST with retries, each attempt signed with `signing` (a signing_key) and timestamped
    anew; return the number of attempts it took, or raise DeliveryError."""
    body = json.dumps(payload, default=str).encode()
    delay = retry.first_delay
    for attempt in range(1, retry.attempts + 1):
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        headers |= signature_headers(signing, key, body, int(time.time()))
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with _OPENER.open(request, timeout=retry.timeout) as response:
                response.read()
            return attempt
        except (urllib.error.URLError, OSError) as error:  # HTTPError is a URLError
            retryable = _retryable(error)
            asked = _retry_after(error)
            status, response = _answer(error)
            if asked is not None and asked > retry.longest_wait:
                message = f"{_failure(error)} (asked to retry after {asked:.0f} s)"
                raise DeliveryError(message, True, status, response) from error
            if not retryable or attempt == retry.attempts:
                raise DeliveryError(_failure(error), retryable, status, response) from error
            sleep(max(delay, asked or 0.0))
            delay *= 2
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Webhook:
    """A webhook destination of one segment, with its URL and key read from the environment."""

    id: str
    segment: str
    destination: WebhookDestination
    url: str
    signing: bytes


def _webhook(
    segment: str, destination: WebhookDestination, environ: Mapping[str, str] | None
) -> _Webhook | str:
    """The destination ready to send to, or the configuration error that stops it."""
    dest = destination_id(destination)
    environ = os.environ if environ is None else environ
    url = environ.get(destination.url_env)
    secret = environ.get(destination.secret_env)
    named = ((destination.url_env, url), (destination.secret_env, secret))
    unset = [name for name, value in named if not value]
    if unset:
        return "; ".join(f"{dest} {segment}: environment variable {name} unset" for name in unset)
    try:
        return _Webhook(dest, segment, destination, url, signing_key(secret))
    except ValueError as error:
        return f"{dest} {segment}: the secret in {destination.secret_env} {error}"


def _batch_parts(
    duckdb_path: Path | str, hook: _Webhook, batch: ChangeBatch
) -> list[tuple[list[dict], list[dict]]]:
    """A refresh's parts for this destination, as pinned when first planned."""
    return _pinned_parts(duckdb_path, hook.id, batch, hook.destination.batch_size)


def _send(
    duckdb_path: Path | str,
    hook: _Webhook,
    batch: ChangeBatch,
    parts: list[tuple[list[dict], list[dict]]],
    index: int,
    retry: RetrySettings,
    sleep: Callable[[float], None],
    report: DeliveryReport,
) -> bool:
    """Send part `index` of a refresh (`parts`: _batch_parts) and log it; on failure, record it
    (a dead letter when no retry can help, or after `retry.failed_runs` failed runs) and say
    whether it went through."""
    entered, exited = parts[index]
    key = idempotency_key(hook.id, hook.segment, batch.recorded_at, index)
    payload = {
        "segment": hook.segment,
        "refreshed_at": batch.changed_at.isoformat(),
        "recorded_at": batch.recorded_at.isoformat(),
        "part": index,
        "parts": len(parts),
        "entered": entered,
        "exited": exited,
    }
    try:
        attempts = post_json(hook.url, payload, key, hook.signing, retry, sleep)
    except DeliveryError as error:
        failures = report.failed if error.retryable else report.misconfigured
        failures.append(f"{hook.id} {hook.segment}: {error}")
        _record_failure(duckdb_path, hook, batch, index, error, retry)
        return False
    _log_delivery(
        duckdb_path, hook.id, batch, index, len(parts), len(entered) + len(exited), attempts
    )
    report.delivered.append(f"{hook.id} {hook.segment} {batch.recorded_at.isoformat()} {index}")
    return True


def _record_failure(
    duckdb_path: Path | str,
    hook: _Webhook,
    batch: ChangeBatch,
    index: int,
    error: DeliveryError,
    retry: RetrySettings,
) -> None:
    """410 Gone disables the destination (it resumes from this part once enabled again); any
    other refusal makes the part a dead letter at once, the receiver's answer kept; a part that
    failed `retry.failed_runs` runs in a row becomes one too."""
    where = [hook.id, hook.segment, batch.recorded_at, index]
    now = datetime.now(UTC).replace(tzinfo=None)
    with _connect(duckdb_path) as connection:
        if error.status == 410:  # Gone: the receiver asks never to be called again
            connection.execute(
                f"insert or ignore into {DISABLED_TABLE} values (?, ?, ?)",
                [hook.id, now, f"the receiver answered HTTP 410 Gone ({hook.segment})"],
            )
            return
        if error.retryable:
            (failed_runs,) = connection.execute(
                f"insert into {FAILURES_TABLE} values (?, ?, ?, ?, 1, ?) "
                "on conflict do update set failed_runs = failed_runs + 1, "
                "last_error = excluded.last_error returning failed_runs",
                [*where, str(error)],
            ).fetchone()
            if failed_runs < retry.failed_runs:
                return
            reason = f"failed {failed_runs} runs in a row; the last: {error}"
        else:
            reason = str(error)
        connection.execute(
            f"insert or ignore into {DEAD_LETTERS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, null)",
            [*where, error.status, reason, error.response[:1000], now],
        )


def _dead_parts(connection, destination: str, segment: str) -> set[tuple[datetime, int]]:
    rows = connection.execute(
        f"select recorded_at, part from {DEAD_LETTERS_TABLE} "
        "where destination = ? and segment_name = ? and replayed_at is null",
        [destination, segment],
    ).fetchall()
    return {(row[0], row[1]) for row in rows}


def deliver_webhook(
    duckdb_path: Path | str,
    segment: str,
    destination: WebhookDestination,
    environ: Mapping[str, str] | None = None,
    retry: RetrySettings = RetrySettings(),
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send the refreshes' parts not yet delivered, oldest first, skipping dead letters (sent
    only by replay_dead_letters). The first failure stops the destination for this run: the
    receiver gets the rest in order, next run."""
    report = DeliveryReport()
    # Checked whether or not changes are waiting: a wrong setting shows on the first run.
    hook = _webhook(segment, destination, environ)
    if isinstance(hook, str):
        report.misconfigured.append(hook)
        return report
    disabled = disabled_destinations(duckdb_path).get(hook.id)
    if disabled:
        report.misconfigured.append(
            f"{hook.id} {segment}: disabled since {disabled}; once the receiver is fixed: "
            f"segmart activation enable {hook.id}"
        )
        return report
    batches = pending_batches(duckdb_path, hook.id, segment)
    if not batches:
        return report
    with _connect(duckdb_path, read_only=True) as connection:
        # Delivered parts, and dead letters (sent again only by replay_dead_letters).
        settled = _delivered_parts(connection, hook.id, segment)
        settled |= _dead_parts(connection, hook.id, segment)
    for batch in batches:
        parts = _batch_parts(duckdb_path, hook, batch)
        for index in range(len(parts)):
            if (batch.recorded_at, index) in settled:
                report.skipped += 1
                continue
            if not _send(duckdb_path, hook, batch, parts, index, retry, sleep, report):
                return report
    return report


def replay_dead_letters(
    duckdb_path: Path | str,
    segments: Iterable[Segment],
    environ: Mapping[str, str] | None = None,
    retry: RetrySettings = RetrySettings(),
    sleep: Callable[[float], None] = time.sleep,
    destination: str | None = None,
    segment: str | None = None,
) -> DeliveryReport:
    """Send the dead letters again (of one destination or segment when named), each under its
    own id; one delivered is logged and never replayed again."""
    report = DeliveryReport()
    ensure_log(duckdb_path)
    hooks = {
        (destination_id(named), entry.name): (entry.name, named)
        for entry in segments
        for named in entry.destinations
        if isinstance(named, WebhookDestination)
    }
    with _connect(duckdb_path, read_only=True) as connection:
        letters = connection.execute(
            f"select destination, segment_name, recorded_at, part from {DEAD_LETTERS_TABLE} "
            "where replayed_at is null and destination = coalesce(?, destination) "
            "and segment_name = coalesce(?, segment_name) "
            "order by destination, segment_name, recorded_at, part",
            [destination, segment],
        ).fetchall()
    for dest, name, recorded_at, index in letters:
        if (dest, name) not in hooks:
            report.misconfigured.append(f"{dest} {name}: not in the registry any more")
            continue
        hook = _webhook(*hooks[(dest, name)], environ)
        if isinstance(hook, str):
            report.misconfigured.append(hook)
            continue
        with _connect(duckdb_path, read_only=True) as connection:
            delivered = (recorded_at, index) in _delivered_parts(connection, dest, name)
        if not delivered:
            pending = pending_batches(duckdb_path, dest, name)
            batch = next((batch for batch in pending if batch.recorded_at == recorded_at), None)
            if batch is None:
                report.misconfigured.append(
                    f"{dest} {name} {recorded_at.isoformat()} {index}: the refresh's changes are "
                    "gone (segmart reset-history): nothing to replay"
                )
                continue
        if delivered or _send(
            duckdb_path,
            hook,
            batch,
            _batch_parts(duckdb_path, hook, batch),
            index,
            retry,
            sleep,
            report,
        ):
            with _connect(duckdb_path) as connection:
                connection.execute(
                    f"update {DEAD_LETTERS_TABLE} set replayed_at = ? where destination = ? "
                    "and segment_name = ? and recorded_at = ? and part = ?",
                    [datetime.now(UTC).replace(tzinfo=None), dest, name, recorded_at, index],
                )
    return report


# --- files -----------------------------------------------------------------------------------


def activation_dir(environ: Mapping[str, str] | None = None) -> Path:
    value = (os.environ if environ is None else environ).get(ACTIVATION_DIR_ENV)
    return Path(value).resolve() if value else DEFAULT_ACTIVATION_DIR


def _copy_atomically(connection, query: str, target: Path, file_format: str) -> None:
    """Write the query's rows to a temporary file beside the target, then rename it over the
    target: a reader sees the old file or the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    options = "(format parquet)" if file_format == "parquet" else "(format csv, header true)"
    connection.execute(f"copy ({query}) to {duckdb_string(str(temporary))} {options}")
    os.replace(temporary, target)


def deliver_files(
    duckdb_path: Path | str,
    segment: str,
    destination: FileDestination,
    folder: Path,
) -> DeliveryReport:
    report = DeliveryReport()
    dest = destination_id(destination)
    fmt = destination.format
    segment_dir = folder / segment
    batches = pending_batches(duckdb_path, dest, segment)
    with _connect(duckdb_path, read_only=True) as connection:
        _copy_atomically(
            connection,
            "select segment_name, grain, member_key, visitor_id, member_since, refreshed_at "
            f"from {MEMBERS_TABLE} where segment_name = {literal(segment)} order by member_key",
            segment_dir / f"members.{fmt}",
            fmt,
        )
        for batch in batches:
            stamp = batch.recorded_at.strftime("%Y%m%dT%H%M%S%f")
            _copy_atomically(
                connection,
                "select segment_name, member_key, visitor_id, change, changed_at, recorded_at "
                f"from {CHANGES_TABLE} where segment_name = {literal(segment)} "
                f"and recorded_at = {literal(batch.recorded_at)} order by change, member_key",
                segment_dir / "changes" / f"{stamp}.{fmt}",
                fmt,
            )
            report.delivered.append(f"{dest} {segment} {batch.recorded_at.isoformat()} 0")
    for batch in batches:
        _log_delivery(duckdb_path, dest, batch, 0, 1, len(batch.entered) + len(batch.exited), 1)
    return report


# --- all destinations of a registry ----------------------------------------------------------


STATUS_COLUMNS = ["destination", "segment", "delivered_parts", "last_delivered_at", "waiting"]


def delivery_status(duckdb_path: Path | str, segments: Iterable[Segment]) -> list[tuple]:
    """Per (destination, segment) of the registry: parts delivered, the last delivery, and what
    waits (refreshes not wholly delivered, dead letters; a disabled destination, why).
    Read-only: before any delivery there are no activation tables, and every refresh waits."""
    with _connect(duckdb_path, read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "select schema_name || '.' || table_name from duckdb_tables()"
            ).fetchall()
        }

        def rows_of(table: str, query: str) -> list[tuple]:
            return connection.execute(query).fetchall() if table in tables else []

        refreshes: dict[str, set] = {}
        # No changes table yet (a build that stopped before the segments): nothing waits.
        for name, recorded_at in rows_of(
            CHANGES_TABLE, f"select distinct segment_name, recorded_at from {CHANGES_TABLE}"
        ):
            refreshes.setdefault(name, set()).add(recorded_at)
        delivered = {
            (dest, name): (parts, last)
            for dest, name, parts, last in rows_of(
                LOG_TABLE,
                f"select destination, segment_name, count(*), max(delivered_at) from {LOG_TABLE} "
                "group by all",
            )
        }
        finished = set(
            rows_of(
                LOG_TABLE,
                f"select destination, segment_name, recorded_at from {LOG_TABLE} "
                "where part = parts - 1",
            )
        )
        dead = {
            (dest, name): count
            for dest, name, count in rows_of(
                DEAD_LETTERS_TABLE,
                f"select destination, segment_name, count(*) from {DEAD_LETTERS_TABLE} "
                "where replayed_at is null group by all",
            )
        }
        disabled = dict(
            rows_of(DISABLED_TABLE, f"select destination, reason from {DISABLED_TABLE}")
        )
    rows = []
    for segment in segments:
        for destination in segment.destinations:
            dest, name = destination_id(destination), segment.name
            parts, last = delivered.get((dest, name), (0, None))
            waiting = sum((dest, name, at) not in finished for at in refreshes.get(name, ()))
            state = f"{waiting} refresh(es)"
            if dead.get((dest, name)):
                state += f"; {dead[(dest, name)]} dead letter(s)"
            if dest in disabled:
                state += f"; disabled: {disabled[dest]}"
            rows.append((dest, name, parts, last, state))
    return rows


def deliver_all(
    duckdb_path: Path | str,
    segments: Iterable[Segment],
    folder: Path,
    environ: Mapping[str, str] | None = None,
    retry: RetrySettings = RetrySettings(),
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    report = DeliveryReport()
    segments = [segment for segment in segments if segment.destinations]
    if not segments:
        return report
    ensure_log(duckdb_path)
    for segment in segments:
        for destination in segment.destinations:
            if isinstance(destination, WebhookDestination):
                report.merge(
                    deliver_webhook(duckdb_path, segment.name, destination, environ, retry, sleep)
                )
            else:
                report.merge(deliver_files(duckdb_path, segment.name, destination, folder))
    return report
