"""Deterministic sample data: Segment-spec raw events, generated entirely inside DuckDB.

Everything is vectorized SQL, no Python loop per visitor or event: visitors are a table of ids,
their sessions and events come from ``unnest(range(n))``, and every random choice is a uniform
number derived from ``hash(seed, row key, salt)`` (never ``random()``), so the same arguments give
byte-identical files whatever the thread count. Three tables are built (visitors, sessions, and a
narrow events table holding what each row needs to be rendered: its role in the session, times,
fault); then one ``COPY ... TO`` per *arrival day* (UTC date of ``receivedAt``) renders that
day's rows, ``ORDER BY`` a unique key, into ``events-YYYY-MM-DD.jsonl`` (or ``.jsonl.gz``,
``.parquet``), two files at a time. JSON text is assembled with ``concat()`` from fragments
rendered once per visitor and per session, which is what makes 10M events fit in about a minute
on two cores.

What the data looks like (docs/event-contract.md is the input contract):

* visitors with a UUID-like ``anonymousId``; about 40% identify with a ``userId`` like
  ``u_000123`` (sign up, or log in as the user of a second device); a few shared devices switch
  from one ``userId`` to another; returning visitors have several sessions, always more than 30
  minutes apart (events inside a session are at most a few minutes apart);
* web sessions send ``page`` calls, app sessions (iOS/Android) ``screen`` calls; ``track`` events
  follow the Segment ecommerce funnel (``Product Viewed`` > ``Product Added`` >
  ``Checkout Started`` > ``Order Completed``, with drop-off), the SaaS lifecycle
  (``Signed Up``, ``Setup Completed`` within 48 h / later / never, ``Core Feature Used`` until a
  user churns, ``Report Exported`` more than 5 times by power users) and friction signals
  (``Rage Click``, ``Dead Click``, ``JS Error``, ``Quick Back``, ``Excessive Scroll``, more on
  mobile and at checkout); ``identify`` (with traits), ``group`` and ``alias`` calls happen at
  sign-up; track names sometimes arrive as ``order_completed`` / ``order-completed``;
* acquisition channels in ``context.campaign`` and ``context.page.referrer``: direct, organic
  search, organic social, paid search and paid social (with inconsistent ``utm_medium``
  tagging), email, referral, affiliate / display; some sessions change campaign mid-session.

Faults. ``GeneratorConfig.events`` good events are generated; faults then hit about
``fault_rate * events`` of them, spread evenly over the event sequence, each event at most one
kind (``GenerationSummary.faults`` has the exact number of rows of each kind):

* added on top (extra rows): ``exact_duplicate`` (an identical second row, same file),
  ``resent_duplicate`` (same ``messageId``, ``sentAt``/``receivedAt`` minutes to 2 days later, so
  some copies land in a later file), ``resent_earlier_duplicate`` (a copy written *after* the
  first one in the same file but with an *earlier* ``receivedAt``);
* recoverable, in place: ``clock_skew`` (no ``timestamp``; ``originalTimestamp`` and ``sentAt``
  off by 1-30 hours, correctable as ``receivedAt - (sentAt - originalTimestamp)``),
  ``late_arrival`` (the device was offline: ``sentAt``/``receivedAt`` 1-5 days after the event,
  so the row lands in a later day's file);
* malformed, in place (the event is lost downstream): ``missing_message_id``, ``unknown_type``
  (``trak``, ``pageview``, ...), ``missing_identity`` (neither ``anonymousId`` nor ``userId``),
  ``blank_event_name`` (a ``track`` whose ``event`` is empty or blank), ``unparseable_time``
  (``timestamp``/``originalTimestamp`` like ``yesterday``), ``future_time`` (event time 2-30 days
  after ``receivedAt``) and, JSONL only, ``invalid_json`` (a truncated line).

So ``rows_written`` = ``events`` + duplicate copies.

Format. JSONL: one object per line, camelCase Segment keys, nested objects as objects, absent
keys omitted, times as ISO-8601 text with milliseconds and ``Z``. Parquet: the same top-level
columns, nested objects as structs (``properties`` and ``traits`` carry the union of their keys,
NULL where absent), times as the same ISO text.

CLI::

    python -m segmart.sample_data --events 100000 --seed 42 --days 30 --start 2026-10-01 \\
        --format jsonl --out data/events

Modules: config (what to generate, constants), sql_blocks (lists, seeded random macros,
vocabularies), population (stage 1 tables), json_fragments + records (stage 2 rendering),
generator (the driver), cli.
"""

from segmart.sample_data.cli import main
from segmart.sample_data.config import (
    DUPLICATE_FAULTS,
    FAULT_SHARES,
    FRICTION_EVENTS,
    FUNNEL_EVENTS,
    LIFECYCLE_EVENTS,
    OUTPUT_FORMATS,
    TRACK_EVENTS,
    GenerationSummary,
    GeneratorConfig,
)
from segmart.sample_data.generator import generate

__all__ = [
    "DUPLICATE_FAULTS",
    "FAULT_SHARES",
    "FRICTION_EVENTS",
    "FUNNEL_EVENTS",
    "LIFECYCLE_EVENTS",
    "OUTPUT_FORMATS",
    "TRACK_EVENTS",
    "GenerationSummary",
    "GeneratorConfig",
    "generate",
    "main",
]
