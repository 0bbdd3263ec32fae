"""Deterministic sample data: Segment-spec raw events, generated entirely inside DuckDB.

Everything is vectorized SQL, no Python loop per visitor or event: visitors are a table of ids,
their sessions and events come from ``unnest(range(n))``, and every random choice is a uniform
number derived from ``hash(seed, row key, salt)`` (never ``random()``), so the same arguments give
byte-identical files whatever the thread count. Three tables are built (visitors, sessions, and a
narrow events table holding what each row needs to be rendered: its role in the session, times,
fault); then one ``COPY ... TO`` per *arrival day* (UTC date of ``receivedAt``) renders that
day's rows, ``ORDER BY`` a unique key, into ``events-YYYY-MM-DD.jsonl`` (or ``.parquet``), two
files at a time. JSON text is assembled with ``concat()`` from fragments rendered once per visitor
and per session, which is what makes 10M events fit in about a minute on two cores.

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
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

OUTPUT_FORMATS = ("jsonl", "parquet")

# Share of the faulty events that get each fault kind (sums to 1).
FAULT_SHARES: dict[str, float] = {
    "exact_duplicate": 0.16,
    "resent_duplicate": 0.16,
    "resent_earlier_duplicate": 0.06,
    "clock_skew": 0.14,
    "late_arrival": 0.14,
    "missing_message_id": 0.06,
    "unknown_type": 0.05,
    "missing_identity": 0.05,
    "blank_event_name": 0.05,
    "unparseable_time": 0.05,
    "future_time": 0.04,
    "invalid_json": 0.04,
}
DUPLICATE_FAULTS = ("exact_duplicate", "resent_duplicate", "resent_earlier_duplicate")

# Documented track event names (canonical spelling), for callers and tests.
FUNNEL_EVENTS = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")
LIFECYCLE_EVENTS = ("Signed Up", "Setup Completed", "Core Feature Used", "Report Exported")
FRICTION_EVENTS = ("Rage Click", "Dead Click", "JS Error", "Quick Back", "Excessive Scroll")
TRACK_EVENTS = FUNNEL_EVENTS + LIFECYCLE_EVENTS + FRICTION_EVENTS

SITE = "https://shop.example.com"
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
# Sessions are generated per visitor as v * 64 + k, so a visitor has at most 64 of them.
_MAX_SESSIONS = 64
# A row's arrival day is at most this many days after its session started (late arrival of up
# to 5 days, plus a re-sent copy up to 2 days later, plus a session running past midnight).
_MAX_ARRIVAL_LAG_DAYS = 9
# The in-memory database holding the generator's tables.
_DATABASE = "sample_data"
# Files written at the same time (each by its own COPY statement).
_PARALLEL_FILES = 2
# Good events per visitor average about 23; guess low so one pass nearly always suffices.
_EVENTS_PER_VISITOR_GUESS = 20


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. ``events`` counts good events; faults are described in the module doc."""

    events: int = 100_000
    seed: int = 42
    days: int = 30
    start: dt.date = dt.date(2026, 10, 1)
    output_format: str = "jsonl"
    fault_rate: float = 0.01

    def validate(self) -> None:
        if self.events < 1:
            raise ValueError("events must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.output_format not in OUTPUT_FORMATS:
            raise ValueError(f"output_format must be one of {OUTPUT_FORMATS}")
        if not 0 <= self.fault_rate <= 0.5:
            raise ValueError("fault_rate must be between 0 and 0.5")
        if not 0 <= self.seed < 2**63:
            raise ValueError("seed must be a non-negative 64-bit integer")


@dataclass
class GenerationSummary:
    """What ``generate`` wrote: files in arrival order, row and byte counts, rows per fault kind."""

    files: list[Path]
    rows_written: int
    seconds: float
    faults: dict[str, int] = field(default_factory=dict)
    events: int = 0
    bytes_written: int = 0

    def line(self) -> str:
        faults = ", ".join(f"{kind}={count}" for kind, count in self.faults.items())
        mb = self.bytes_written / 1e6
        return (
            f"wrote {self.rows_written} rows ({self.events} events + duplicates) to "
            f"{len(self.files)} files, {mb:.1f} MB, in {self.seconds:.1f} s; faults: {faults}"
        )


# --------------------------------------------------------------------------------------------
# SQL building blocks
# --------------------------------------------------------------------------------------------


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def _weighted(u: str, choices: Sequence[tuple[str, float]]) -> str:
    """CASE picking a value with the given relative weights from the uniform number ``u``."""
    total = sum(weight for _, weight in choices)
    whens, cumulative = [], 0.0
    for value, weight in choices[:-1]:
        cumulative += weight / total
        whens.append(f"when {u} < {cumulative:.6f} then {_literal(value)}")
    return f"case {' '.join(whens)} else {_literal(choices[-1][0])} end"


BLOG_SLUGS = (
    "how-to-choose-running-shoes",
    "spring-collection-2026",
    "sustainable-materials",
    "customer-story-acme",
    "warehouse-native-analytics",
    "gift-guide",
    "size-guide",
    "product-updates-october",
)
DOC_PAGES = (
    "getting-started",
    "api/events",
    "integrations/segment",
    "billing",
    "reports/exports",
    "account/sso",
)
APP_PAGES = ("dashboard", "reports", "settings", "editor", "integrations")
CATEGORIES = ("Shoes", "Apparel", "Accessories", "Bags", "Outdoor", "Kids", "Sale")
COUNTRIES = (
    ("US", "en-US", 36),
    ("GB", "en-GB", 8),
    ("DE", "de-DE", 8),
    ("IN", "en-IN", 8),
    ("BR", "pt-BR", 7),
    ("FR", "fr-FR", 6),
    ("CA", "en-CA", 5),
    ("ES", "es-ES", 4),
    ("IT", "it-IT", 4),
    ("MX", "es-MX", 3),
    ("JP", "ja-JP", 3),
    ("AU", "en-AU", 3),
    ("NL", "nl-NL", 3),
)
COMPANY_PREFIXES = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Soylent",
    "Vandelay", "Pied Piper", "Cyberdyne", "Tyrell", "Massive", "Aperture", "Oscorp", "Monarch",
    "Dunder", "Nakatomi", "Gringotts", "Blue Sun", "Weyland", "Duff", "Krusty", "Bluth",
    "Sterling", "Prestige", "Rekall", "Virtucon", "Zorg", "Oceanic", "Dharma", "Genco", "Nimbus",
    "Quartz", "Lumen", "Vertex", "Orbit", "Cobalt", "Juniper",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Inc", "Labs", "Group", "Systems", "Industries", "Analytics", "Retail", "Partners", "Co",
    "Technologies",
)  # fmt: skip
INDUSTRIES = ("Retail", "Software", "Finance", "Healthcare", "Education", "Media", "Logistics")
FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabriel", "Hana", "Ivan", "Julia", "Kenji",
    "Lena", "Mateo", "Nina", "Omar", "Priya", "Quinn", "Rafael", "Sofia", "Tom",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Smith", "Müller", "Garcia", "Kumar", "Martin", "Rossi", "Tanaka", "Brown", "Dubois",
    "Novak", "Jensen", "Costa", "Lee", "Okafor", "Schmidt",
)  # fmt: skip


def _macros(seed: int) -> str:
    # hash(salt) of a constant string is folded at plan time, so string salts cost nothing. The
    # outer hash() matters: DuckDB combines the hashes of several arguments with a xor, which
    # would make draws with different salts for the same key strongly correlated.
    return f"""
create or replace macro seeded_hash(key, salt) as
    hash(hash({seed}, key::bigint, hash(salt)));
-- uniform in [0, 1): the top 53 bits of the seeded hash
create or replace macro rnd(key, salt) as
    (seeded_hash(key, salt) >> 11) / 9007199254740992.0;
create or replace macro pick(options, u) as options[1 + floor(u * len(options))::integer];
-- RFC 4122 version-4 shaped text from two 64-bit hashes
create or replace macro uuid_text(h1, h2) as format(
    '{{:08x}}-{{:04x}}-4{{:03x}}-{{:04x}}-{{:012x}}',
    h1 >> 32, (h1 >> 16) & 65535, h1 & 4095, 32768 | ((h2 >> 48) & 16383), h2 & 281474976710655
);
create or replace macro iso_time(ms) as strftime(epoch_ms(ms), '%Y-%m-%dT%H:%M:%S.%gZ');
create or replace macro user_id_text(n) as printf('u_%06d', n);
-- page view j of a session: one every step_ms on average, jittered within its own slot, so page
-- views stay in order and never more than two steps apart
create or replace macro page_ms(start_ms, step_ms, sid, j) as
    start_ms + j * step_ms + floor(rnd(sid * 64 + j, 'page_jitter') * 0.5 * step_ms)::bigint;
create or replace macro product_id(u) as 1000 + floor(u * u * 400)::integer;
-- a fixed catalog: the same product has the same price in every run
create or replace macro product_price(product) as (4 + hash(product) % 296)::double + 0.99;
create or replace macro browse_path(intent, u, w) as case intent
    when 'shop' then case
        when u < 0.55 then '/products/' || product_id(w)
        when u < 0.70 then '/'
        when u < 0.80 then '/cart'
        when u < 0.90 then '/pricing'
        else '/blog/' || pick({_list(BLOG_SLUGS)}, w)
    end
    when 'content' then case
        when u < 0.50 then '/blog/' || pick({_list(BLOG_SLUGS)}, w)
        when u < 0.85 then '/docs/' || pick({_list(DOC_PAGES)}, w)
        when u < 0.93 then '/pricing'
        else '/'
    end
    when 'app' then case
        when u < 0.80 then '/app/' || pick({_list(APP_PAGES)}, w)
        else '/app/projects/' || (1 + floor(w * 40)::integer)
    end
    -- before signing up: marketing pages
    else case
        when u < 0.40 then '/pricing'
        when u < 0.60 then '/'
        when u < 0.80 then '/docs/' || pick({_list(DOC_PAGES)}, w)
        else '/blog/' || pick({_list(BLOG_SLUGS)}, w)
    end
end;
create or replace macro page_name(path) as case
    when path = '/' then 'Home'
    when path like '/products/%' then 'Product'
    when path = '/cart' then 'Cart'
    when path = '/checkout' then 'Checkout'
    when path = '/checkout/complete' then 'Order Confirmation'
    when path = '/pricing' then 'Pricing'
    when path = '/signup' then 'Sign Up'
    when path like '/blog/%' then 'Blog Post'
    when path like '/docs/%' then 'Docs'
    when path like '/app/projects/%' then 'Project'
    when path like '/app/%' then upper(path[6]) || path[7:]
    else 'Other'
end;
"""


def _channel_mix(u: str) -> str:
    return _weighted(
        u,
        [
            ("direct", 22),
            ("organic_search", 24),
            ("organic_social", 9),
            ("paid_search", 14),
            ("paid_social", 10),
            ("email", 6),
            ("referral", 10),
            ("other", 5),
        ],
    )


def _returning_channel_mix(u: str) -> str:
    return _weighted(
        u,
        [
            ("direct", 40),
            ("organic_search", 18),
            ("organic_social", 5),
            ("paid_search", 8),
            ("paid_social", 6),
            ("email", 14),
            ("referral", 5),
            ("other", 4),
        ],
    )


def _campaign_columns(
    channel: str, salt: str, prefix: str, referrer_column: str
) -> tuple[str, str]:
    """UTM fields and referrer of an arrival through ``channel``: (select-list items, source).

    The source is returned separately because medium and referrer depend on it, so it has to be
    computed one select earlier.
    """

    def u(name: str) -> str:
        return f"rnd(sid, '{salt}_{name}')"

    paid_search_medium = _weighted(
        u("medium"),
        [("cpc", 50), ("CPC", 10), (" ppc ", 8), ("paid_search", 12), ("Paid Search", 10),
         ("sem", 10)],
    )  # fmt: skip
    social_source = _weighted(
        u("source"), [("facebook", 45), ("instagram", 25), ("linkedin", 20), ("tiktok", 10)]
    )
    source = f"""case {channel}
            when 'paid_search' then case when {u("source")} < 0.8 then 'google' else 'bing' end
            when 'paid_social' then {social_source}
            when 'email' then pick(['newsletter', 'braze', 'mailchimp'], {u("source")})
            when 'other' then pick(['rakuten', 'awin', 'criteo', 'taboola'], {u("source")})
        end"""
    medium = f"""case {channel}
            when 'paid_search' then {paid_search_medium}
            when 'paid_social' then case
                -- Facebook ads tagged like search ads: only the referrer tells them apart
                when {prefix}utm_source = 'facebook' and {u("medium")} < 0.25 then 'cpc'
                else pick(['paid-social', 'paid_social', 'paidsocial'], {u("medium_style")})
            end
            when 'email' then case when {u("medium")} < 0.8 then 'email' else 'Email' end
            when 'other' then case when {prefix}utm_source in ('rakuten', 'awin')
                then 'affiliate' else 'display' end
        end"""
    campaign = f"""case {channel}
            when 'paid_search' then pick(['brand_search', 'generic_shoes', 'competitor_terms',
                'spring_sale'], {u("name")})
            when 'paid_social' then pick(['spring_sale', 'retargeting_cart', 'lookalike_q4',
                'brand_video'], {u("name")})
            when 'email' then pick(['weekly_digest', 'cart_reminder', 'product_launch',
                'winback'], {u("name")})
            when 'other' then pick(['partners_q4', 'black_friday_deals'], {u("name")})
        end"""
    term = f"""case when {channel} = 'paid_search' then pick(['running shoes',
            'buy sneakers online', 'example shop', 'best trail shoes', 'waterproof jacket'],
            {u("term")}) end"""
    content = f"""case
            when {channel} in ('paid_social', 'email') and {u("content")} < 0.7
                then pick(['carousel_1', 'video_15s', 'header_cta', 'hero_image'], {u("content")})
            when {channel} = 'paid_search' and {u("content")} < 0.3 then 'ad_variant_b'
        end"""
    search_engine = _weighted(
        u("referrer"),
        [("https://www.google.com/", 75), ("https://www.bing.com/", 10),
         ("https://duckduckgo.com/", 8), ("https://search.yahoo.com/", 4),
         ("https://www.ecosia.org/", 3)],
    )  # fmt: skip
    social_site = f"""case
                when {u("referrer")} < 0.40 then 'https://l.facebook.com/'
                when {u("referrer")} < 0.60
                    then 'https://t.co/' || lower(hex(seeded_hash(sid, 't_co')))[1:10]
                when {u("referrer")} < 0.80 then 'https://www.linkedin.com/'
                when {u("referrer")} < 0.92 then 'https://www.reddit.com/'
                else 'https://l.instagram.com/'
            end"""
    referral_site = f"""pick(['https://news.ycombinator.com/', 'https://www.producthunt.com/',
                'https://medium.com/', 'https://partner-blog.example.org/',
                'https://techcrunch.com/'], {u("referrer")})"""
    referrer = f"""case {channel}
            when 'organic_search' then {search_engine}
            when 'organic_social' then {social_site}
            when 'paid_search' then case when {prefix}utm_source = 'google'
                then 'https://www.google.com/' else 'https://www.bing.com/' end
            when 'paid_social' then case {prefix}utm_source
                when 'facebook' then 'https://l.facebook.com/'
                when 'instagram' then 'https://l.instagram.com/'
                when 'linkedin' then 'https://www.linkedin.com/'
                else 'https://www.tiktok.com/'
            end
            when 'email' then case when {u("referrer")} < 0.3 then 'https://mail.google.com/' end
            when 'referral' then {referral_site}
            when 'other' then case when {u("referrer")} < 0.5
                then 'https://deals.partner-network.example.net/' end
        end"""
    return (
        f"""
        {medium} as {prefix}utm_medium,
        {campaign} as {prefix}utm_campaign,
        {term} as {prefix}utm_term,
        {content} as {prefix}utm_content,
        {referrer} as {referrer_column}""",
        source,
    )


def _page_path(j: str) -> str:
    """Path of page view ``j`` of the session on the current row."""
    return f"""case
            when {j} = 0 then landing_path
            when {j} = switch_j then switch_path
            when is_signup_session and {j} = n_pages - 1 then '/signup'
            when {j} = n_pages - funnel_depth then '/products/' || funnel_product
            when {j} > n_pages - funnel_depth then
                ['/cart', '/checkout', '/checkout/complete'][{j} - (n_pages - funnel_depth)]
            else browse_path(intent, rnd(sid * 64 + {j}, 'browse'),
                rnd(sid * 64 + {j}, 'browse_item'))
        end"""


# --------------------------------------------------------------------------------------------
# Stage 1: tables of visitors, sessions and events (the events one narrow: it is the big one)
# --------------------------------------------------------------------------------------------


def _visitors_sql(n_visitors: int, config: GeneratorConfig) -> str:
    # range() is a single-threaded source: scanning a table of ids lets the work run in parallel
    return f"""
create or replace table visitor_ids as select range as v from range({n_visitors});
create or replace table visitors as
select
    *,
    -- the visitor's part of every event's context, as JSON members
    concat({", ".join(_json_members(VISITOR_CONTEXT))}) as context_json
from ({_visitor_attributes_sql(config)})
"""


def _visitor_attributes_sql(config: GeneratorConfig) -> str:
    start_ms = _epoch_ms(config.start)
    span_ms = config.days * _DAY_MS
    country = _weighted(
        "rnd(v, 'country')", [(str(i + 1), weight) for i, (_, _, weight) in enumerate(COUNTRIES)]
    )
    return f"""
with drawn as (
    select
        v,
        case
            when rnd(v, 'platform') < 0.80 then 'web'
            when rnd(v, 'platform') < 0.91 then 'ios'
            else 'android'
        end as platform,
        case
            when rnd(v, 'identifies') >= 0.40 then 'anonymous'
            -- logs in as the user of the previous visitor: one user, two devices
            when v > 0
                and rnd(v, 'second_device') < 0.10
                and rnd(v - 1, 'identifies') < 0.40
                and rnd(v - 1, 'second_device') >= 0.10
                then 'second_device'
            -- signs up, then someone else logs in on the same device
            when rnd(v, 'shared_device') < 0.04 then 'shared_device'
            else 'signup'
        end as identity,
        {start_ms} + floor(rnd(v, 'first_seen') * {span_ms})::bigint as first_seen_ms,
        uuid_text(seeded_hash(v, 'anonymous_id'), seeded_hash(v, 'anonymous_id_low'))
            as anonymous_id,
        ({country})::integer as country_index
    from visitor_ids
),

engaged as (
    select
        *,
        identity != 'anonymous' and rnd(v, 'power_user') < 0.12 as is_power_user,
        case when identity in ('signup', 'shared_device') then
            case when rnd(v, 'signup_k') < 0.55 then 0 else 1 + floor(rnd(v, 'signup_k_late') * 3)
            end
        end::integer as signup_k
    from drawn
),

lifecycle as (
    select
        *,
        case
            when identity = 'anonymous' then case
                when rnd(v, 'sessions') < 0.62 then 1
                when rnd(v, 'sessions') < 0.84 then 2
                when rnd(v, 'sessions') < 0.94 then 3
                else 4 + floor(rnd(v, 'sessions_tail') * 4)
            end
            when is_power_user then 10 + floor(rnd(v, 'sessions') * 12)
            else greatest(
                2 + floor(pow(rnd(v, 'sessions'), 1.5) * 10), coalesce(signup_k, 0) + 3
            )
        end::integer as n_sessions,
        -- typical time between two sessions, log-uniform; the real gap is at least half of it
        case
            when is_power_user then 8 * {_HOUR_MS} * exp(rnd(v, 'gap') * ln(2.5))
            when identity = 'anonymous' then 12 * {_HOUR_MS} * exp(rnd(v, 'gap') * ln(12))
            else 10 * {_HOUR_MS} * exp(rnd(v, 'gap') * ln(7))
        end::bigint as gap_ms,
        case identity
            when 'second_device' then 0
            when 'anonymous' then null
            else signup_k
        end as identity_from_k,
        case when identity = 'shared_device'
            then signup_k + 1 + floor(rnd(v, 'switch_k') * 2)::integer
        end as switch_k,
        case identity when 'anonymous' then null when 'second_device' then v else v + 1 end
            as user_a,
        case when identity = 'shared_device' then 90000000 + v end as user_b,
        case when identity in ('signup', 'shared_device') then
            case
                when rnd(v, 'setup') < 0.55 then 'fast'
                when rnd(v, 'setup') < 0.75 then 'slow'
                else 'never'
            end
        end as setup_speed,
        identity in ('signup', 'shared_device') and rnd(v, 'has_group') < 0.30 as has_group,
        identity in ('signup', 'shared_device') and rnd(v, 'has_alias') < 0.12 as has_alias
    from engaged
),

devices as (
    select
        *,
        case
            when platform = 'web' and rnd(v, 'device') < 0.50 then 'desktop'
            when platform = 'web' and rnd(v, 'device') < 0.92 then 'mobile'
            when platform = 'ios' and rnd(v, 'device') < 0.85 then 'mobile'
            when platform = 'android' and rnd(v, 'device') < 0.92 then 'mobile'
            else 'tablet'
        end as device_type,
        -- analytics.js only sends a device type when a plugin adds it
        platform != 'web' or rnd(v, 'sends_device') < 0.5 as sends_device,
        118 + floor(rnd(v, 'browser_version') * 14)::integer as chrome_major,
        115 + floor(rnd(v, 'browser_version') * 17)::integer as firefox_major,
        pick(['16.6', '17.4', '17.5', '17.6', '18.0', '18.1'], rnd(v, 'ios_version'))
            as ios_version,
        10 + floor(rnd(v, 'android_version') * 5)::integer as android_major
    from lifecycle
),

systems as (
    select
        *,
        case
            when platform = 'ios' then 'iOS'
            when platform = 'android' then 'Android'
            when device_type = 'desktop' then case
                when rnd(v, 'os') < 0.62 then 'Windows'
                when rnd(v, 'os') < 0.95 then 'Mac OS X'
                else 'Linux'
            end
            when device_type = 'mobile' and rnd(v, 'os') < 0.55 then 'iOS'
            when device_type = 'tablet' and rnd(v, 'os') < 0.70 then 'iOS'
            else 'Android'
        end as os_name
    from devices
),

browsers as (
    select
        *,
        case
            when platform != 'web' then null
            when os_name = 'Windows' then case
                when rnd(v, 'browser') < 0.65 then 'Chrome'
                when rnd(v, 'browser') < 0.87 then 'Edge'
                else 'Firefox'
            end
            when os_name = 'Mac OS X' then case
                when rnd(v, 'browser') < 0.50 then 'Chrome'
                when rnd(v, 'browser') < 0.90 then 'Safari'
                else 'Firefox'
            end
            when os_name = 'Linux' then case when rnd(v, 'browser') < 0.6 then 'Chrome'
                else 'Firefox' end
            when os_name = 'iOS' then case when rnd(v, 'browser') < 0.8 then 'Safari'
                else 'Chrome' end
            else case when rnd(v, 'browser') < 0.9 then 'Chrome' else 'Firefox' end
        end as browser,
        case os_name
            when 'Windows' then 'Windows NT 10.0; Win64; x64'
            when 'Mac OS X' then 'Macintosh; Intel Mac OS X 10_15_7'
            when 'Linux' then 'X11; Linux x86_64'
            when 'iOS' then case when device_type = 'tablet' then 'iPad; CPU OS '
                else 'iPhone; CPU iPhone OS ' end || replace(ios_version, '.', '_')
                || ' like Mac OS X'
            else 'Linux; Android ' || android_major || '; K'
        end as ua_platform,
        case
            when platform = 'ios' and device_type = 'tablet' then 'iPad13,18'
            when platform = 'ios' then pick(['iPhone14,5', 'iPhone15,2', 'iPhone16,1'],
                rnd(v, 'model'))
            when platform = 'android' then pick(['Pixel 8', 'SM-S911B', '2201117TY'],
                rnd(v, 'model'))
        end as device_model
    from systems
)

select
    * exclude (country_index, ua_platform, chrome_major, firefox_major, ios_version,
        android_major),
    {_list([c for c, _, _ in COUNTRIES])}[country_index] as country,
    {_list([loc for _, loc, _ in COUNTRIES])}[country_index] as locale,
    case os_name
        when 'Windows' then '10'
        when 'Mac OS X' then '10.15.7'
        when 'iOS' then ios_version
        when 'Android' then android_major::varchar
    end as os_version,
    case
        when platform = 'ios' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148'
        when platform = 'android' then 'Dalvik/2.1.0 (Linux; U; Android ' || android_major
            || '; ' || device_model || ' Build/AP2A.240805.005)'
        when browser = 'Edge' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/537.36 (KHTML, like Gecko) Chrome/' || chrome_major
            || '.0.0.0 Safari/537.36 Edg/' || chrome_major || '.0.0.0'
        when browser = 'Safari' and os_name = 'iOS' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) Version/' || ios_version
            || ' Mobile/15E148 Safari/604.1'
        when browser = 'Safari' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) Version/' || ios_version
            || ' Safari/605.1.15'
        when browser = 'Chrome' and os_name = 'iOS' then 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/' || chrome_major
            || '.0.0.0 Mobile/15E148 Safari/604.1'
        when browser = 'Firefox' and os_name = 'Android' then 'Mozilla/5.0 (Android '
            || android_major || '; Mobile; rv:' || firefox_major || '.0) Gecko/'
            || firefox_major || '.0 Firefox/' || firefox_major || '.0'
        when browser = 'Firefox' then 'Mozilla/5.0 (' || replace(ua_platform, '10_15_7', '10.15')
            || '; rv:' || firefox_major || '.0) Gecko/20100101 Firefox/' || firefox_major || '.0'
        else 'Mozilla/5.0 (' || ua_platform
            || ') AppleWebKit/537.36 (KHTML, like Gecko) Chrome/' || chrome_major || '.0.0.0 '
            || case when device_type = 'mobile' and os_name = 'Android' then 'Mobile ' else '' end
            || 'Safari/537.36'
    end as user_agent,
    case platform
        when 'web' then 'analytics.js'
        when 'ios' then 'analytics-ios'
        else 'analytics-android'
    end as library_name,
    case platform
        when 'web' then pick(['next-1.66.0', 'next-1.70.0', 'next-1.72.1'], rnd(v, 'library'))
        when 'ios' then pick(['4.1.7', '4.1.8'], rnd(v, 'library'))
        else pick(['4.11.2', '4.11.3'], rnd(v, 'library'))
    end as library_version,
    case when platform != 'web' then pick(['4.10.0', '4.11.2', '4.12.0'], rnd(v, 'app_version'))
        end as app_version,
    case when platform != 'web'
        then pick(['41001', '41127', '41203'], rnd(v, 'app_version')) end as app_build,
    case
        when platform = 'ios' then 'Apple'
        when device_model = 'Pixel 8' then 'Google'
        when device_model = 'SM-S911B' then 'Samsung'
        when device_model is not null then 'Xiaomi'
    end as device_manufacturer,
    case when sends_device then device_type end as device_kind,
    case when platform != 'web' then 'Example Shop' end as app_name
from browsers
"""


def _sessions_sql(config: GeneratorConfig) -> str:
    end_ms = _epoch_ms(config.start) + config.days * _DAY_MS
    campaign, source = _campaign_columns("channel", "campaign", "", "landing_referrer")
    switch_campaign, switch_source = _campaign_columns(
        "switch_channel", "switch", "switch_", "switch_referrer"
    )
    return f"""
create or replace table sessions as
with slots as (
    -- only what sessions depend on: the rest of the visitor is joined in when rendering
    select
        v, platform, device_type, identity, is_power_user, first_seen_ms, gap_ms, signup_k,
        identity_from_k, switch_k, user_a, user_b, setup_speed, has_group, has_alias,
        unnest(range(least(n_sessions, {_MAX_SESSIONS}))) as k
    from visitors
),

timed as (
    select
        *,
        v * {_MAX_SESSIONS} + k as sid,
        first_seen_ms + k * gap_ms
            + floor(rnd(v * {_MAX_SESSIONS} + k, 'session_jitter') * 0.5 * gap_ms)::bigint
            as start_ms
    from slots
),

identities as (
    select
        *,
        coalesce(k = signup_k, false) as is_signup_session,
        case
            when identity = 'second_device' and k = 0 then 'login'
            when identity = 'shared_device' and k = switch_k then 'login'
            when k = signup_k then 'signup'
            when k > identity_from_k and rnd(sid, 'reidentify') < 0.2 then 'login'
        end as identify_kind,
        -- the user known before and after this session's identify call (if any)
        case
            when identity_from_k is null or k <= identity_from_k then null
            when k > switch_k then user_b
            else user_a
        end as user_before,
        case
            when identity_from_k is null or k < identity_from_k then null
            when k >= switch_k then user_b
            else user_a
        end as user_after,
        case setup_speed
            when 'fast' then signup_k
            -- first session that surely starts more than 48 h after the sign-up
            when 'slow' then signup_k + 1 + ceil(50 * {_HOUR_MS} / gap_ms)::integer
        end as setup_k,
        case when identity_from_k is not null and rnd(v, 'churns') < 0.35
            then identity_from_k + 1 + floor(rnd(v, 'churn_k') * 4)::integer
        end as churn_k
    from timed
    where start_ms < {end_ms}
),

intents as (
    select
        *,
        case
            when is_signup_session then 'signup'
            when user_after is not null
                and (churn_k is null or k <= churn_k)
                and rnd(sid, 'intent') < 0.65
                then 'app'
            when rnd(sid, 'browse_intent') < 0.6 then 'shop'
            else 'content'
        end as intent,
        case
            when platform != 'web' then case
                when rnd(sid, 'channel') < 0.85 then 'direct'
                when rnd(sid, 'channel') < 0.93 then 'email'
                else 'paid_social'
            end
            when k = 0 then {_channel_mix("rnd(sid, 'channel')")}
            else {_returning_channel_mix("rnd(sid, 'channel')")}
        end as channel,
        (8000 * exp(rnd(sid, 'pace') * ln(15)))::bigint as step_ms
    from identities
),

funnels as (
    select
        *,
        -- ecommerce funnel with drop-off: viewed 70%, added 32%, checkout 55%, order 62%
        case
            when intent != 'shop' or rnd(sid, 'funnel_viewed') >= 0.70 then 0
            when rnd(sid, 'funnel_added') >= 0.32 then 1
            when rnd(sid, 'funnel_checkout') >= 0.55 then 2
            when rnd(sid, 'funnel_order') >= 0.62 then 3
            else 4
        end as funnel_depth
    from intents
),

paged as (
    select
        *,
        greatest(
            case
                when rnd(sid, 'bounce') < case intent when 'app' then 0.1 when 'signup' then 0
                    else 0.32 end
                    then 1
                else 2 + least(33, floor(-ln(1 - rnd(sid, 'depth'))
                    * case intent when 'shop' then 4.5 when 'app' then 5 else 2.5 end))
            end,
            funnel_depth + 1,
            case when is_signup_session then 2 else 1 end
        )::integer as n_pages
    from funnels
),

counted as (
    select
        *,
        case when is_signup_session then 2 + has_group::integer + has_alias::integer else 0 end
            as n_signup,
        coalesce(identify_kind = 'login', false)::integer as n_login,
        coalesce(setup_k = k, false)::integer as n_setup,
        case when intent = 'app'
            then 1 + least(12, floor(rnd(sid, 'features') * n_pages * 0.8))::integer else 0
        end as n_feature,
        case
            when intent != 'app' then 0
            when is_power_user then 1 + floor(rnd(sid, 'exports') * 3)::integer
            when rnd(sid, 'exports') < 0.08 then 1
            else 0
        end as n_export,
        case
            when rnd(sid, 'friction')
                < case when device_type = 'desktop' then 0.05 else 0.10 end
                    + case when funnel_depth >= 3 then 0.15 else 0 end
                then 1 + floor(rnd(sid, 'friction_count') * 3)::integer
            else 0
        end as n_friction,
        -- a campaign change: some page in the middle is a fresh arrival from another campaign
        n_pages - funnel_depth - is_signup_session::integer - 1 as switchable_pages
    from paged
),

arrivals as (
    select
        *,
        case
            when intent = 'shop' and rnd(sid, 'landing') < 0.4 then '/'
            when intent = 'shop' then '/products/' || product_id(rnd(sid, 'landing_product'))
            when intent = 'content' and rnd(sid, 'landing') < 0.6
                then '/blog/' || pick({_list(BLOG_SLUGS)}, rnd(sid, 'landing_page'))
            when intent = 'content'
                then '/docs/' || pick({_list(DOC_PAGES)}, rnd(sid, 'landing_page'))
            when intent = 'app' then '/app/dashboard'
            when rnd(sid, 'landing') < 0.5 then '/'
            else '/pricing'
        end as landing_path,
        case when platform = 'web' and switchable_pages >= 1
            and rnd(sid, 'campaign_change') < 0.05
            then 1 + floor(rnd(sid, 'switch_at') * switchable_pages)::integer
        end as switch_j,
        pick(['paid_search', 'paid_social', 'email', 'other'], rnd(sid, 'switch_channel'))
            as switch_channel_draw,
        case when rnd(sid, 'switch_landing') < 0.6
            then '/products/' || product_id(rnd(sid, 'switch_product')) else '/pricing'
        end as switch_path,
        {source} as utm_source
    from counted
),

campaigns as (
    select
        *,
        case when switch_j is not null then
            case when switch_channel_draw = channel then 'email' else switch_channel_draw end
        end as switch_channel,
        {campaign}
    from arrivals
),

switch_campaigns as (
    select *, {switch_source} as switch_utm_source
    from campaigns
),

planned as (
    select
        *,
        {switch_campaign},
        epoch_ms(start_ms)::date as start_day,
        case identify_kind
            when 'signup' then page_ms(start_ms, step_ms, sid, n_pages - 1) + 300
            when 'login' then page_ms(start_ms, step_ms, sid, 0) + 300
        end as identify_ms,
        product_id(rnd(sid, 'funnel_product')) as funnel_product,
        'o_' || lower(hex(seeded_hash(sid, 'order_id'))) as order_id,
        round(case when rnd(sid, 'big_order') < 0.03 then 1000 + rnd(sid, 'revenue') * 4000
            else 20 + 380 * pow(rnd(sid, 'revenue'), 1.6) end, 2) as order_revenue,
        -- the products of an order, if it lists them (a list of structs, as Segment sends it)
        case when funnel_depth >= 3 and rnd(sid, 'has_products') < 0.6 then [
            struct_pack(
                product_id := p::varchar,
                sku := 'SKU-' || p,
                price := product_price(p),
                quantity := 1 + floor(rnd(sid * 8 + p, 'order_quantity') * 2)::integer
            )
            for p in list_transform(
                range(1 + floor(rnd(sid, 'n_products') * 3)::integer),
                lambda x: case
                    when x = 0 then product_id(rnd(sid, 'funnel_product'))
                    else product_id(rnd(sid * 8 + x, 'order_product'))
                end
            )
        ] end as order_products,
        -- events are numbered page views first, then the track/identify calls hanging off them
        n_pages as funnel_from,
        n_pages + funnel_depth as signup_from,
        n_pages + funnel_depth + n_signup as login_from,
        n_pages + funnel_depth + n_signup + n_login as setup_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup as feature_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup + n_feature as export_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup + n_feature + n_export
            as friction_from,
        n_pages + funnel_depth + n_signup + n_login + n_setup + n_feature + n_export + n_friction
            as n_events
    from switch_campaigns
)

select
    *,
    {_utm_query("")} as utm_query,
    {_utm_query("switch_")} as switch_utm_query,
    -- JSON of the campaign context member, with its leading comma
    nullif(concat({", ".join(_json_parts(_campaign("")))}), '') as campaign_json,
    nullif(concat({", ".join(_json_parts(_campaign("switch_")))}), '') as switch_campaign_json
from planned
"""


def _utm_query(prefix: str) -> str:
    """The landing URL's query string for a campaign (NULL without one)."""
    return f"""'?utm_source=' || {prefix}utm_source
        || '&utm_medium=' || replace({prefix}utm_medium, ' ', '%20')
        || '&utm_campaign=' || {prefix}utm_campaign
        || coalesce('&utm_term=' || replace({prefix}utm_term, ' ', '+'), '')
        || coalesce('&utm_content=' || {prefix}utm_content, '')"""


def _fault_targets(config: GeneratorConfig) -> dict[str, int]:
    """How many events each fault kind should hit (at least one each when faults are on)."""
    targets = {}
    for kind, share in FAULT_SHARES.items():
        if config.fault_rate == 0 or (kind == "invalid_json" and config.output_format != "jsonl"):
            targets[kind] = 0
        else:
            targets[kind] = max(1, round(config.events * config.fault_rate * share))
    return targets


def _fault_case(config: GeneratorConfig) -> str:
    # Every stride-th event gets the fault, from a seed-dependent offset: counts fixed up front,
    # spread evenly over visitors and time, and no sort needed to choose them.
    whens = []
    for index, (kind, count) in enumerate(_fault_targets(config).items()):
        if count:
            stride = max(1, config.events // count)
            offset = (config.seed * 1_000_003 + index * 7_919) % stride
            whens.append(f"when e % {stride} = {offset} then '{kind}'")
    return f"case {' '.join(whens)} end" if whens else "null::varchar"


def _events_sql(config: GeneratorConfig) -> str:
    n = config.events
    duplicates = ", ".join(_literal(kind) for kind in DUPLICATE_FAULTS)
    return f"""
create or replace table events as
with slots as (
    select
        sid, first_e, start_ms, step_ms, platform, n_pages, funnel_depth, is_signup_session,
        identify_ms, user_before, user_after, funnel_from, signup_from, login_from, setup_from,
        feature_from, export_from, friction_from,
        unnest(range(least(n_events, {n} - first_e))) as i
    from sessions
    join session_offsets using (sid)
    where first_e < {n}
),

roles as (
    select
        *,
        first_e + i as e,
        case
            when i < funnel_from then 'page'
            when i < signup_from then 'funnel'
            when i < login_from then 'signup'
            when i < setup_from then 'login'
            when i < feature_from then 'setup'
            when i < export_from then 'feature'
            when i < friction_from then 'export'
            else 'friction'
        end as role
    from slots
),

anchored as (
    -- li: index among the session's events of the same role; j: the page view it belongs to
    select
        *,
        i - case role
            when 'page' then 0
            when 'funnel' then funnel_from
            when 'signup' then signup_from
            when 'login' then login_from
            when 'setup' then setup_from
            when 'feature' then feature_from
            when 'export' then export_from
            else friction_from
        end as li,
        case role
            when 'page' then i
            when 'funnel' then n_pages - funnel_depth + i - funnel_from
            when 'signup' then n_pages - 1
            when 'setup' then n_pages - 1
            when 'login' then 0
            when 'friction' then case
                when funnel_depth >= 3 and rnd(e, 'friction_at_checkout') < 0.6
                    then n_pages - funnel_depth + 2
                else floor(rnd(e, 'anchor') * n_pages)::integer
            end
            else floor(rnd(e, 'anchor') * n_pages)::integer
        end as j
    from roles
),

timed as (
    select
        *,
        page_ms(start_ms, step_ms, sid, j) + case role
            when 'page' then 0
            -- identify, Signed Up, group, alias: in call order, right after the sign-up page
            when 'signup' then 300 * (li + 1)
            when 'login' then 300
            when 'setup' then case when is_signup_session
                then 60000 + floor(rnd(e, 'setup_delay') * 1140000)::bigint
                else 5000 + floor(rnd(e, 'setup_delay') * 60000)::bigint end
            -- within the first half of the page's slot: before the next page view
            else 150 + floor(rnd(e, 'event_offset') * 0.45 * step_ms)::bigint
        end as event_ms,
        {_fault_case(config)} as fault
    from anchored
),

copies as (
    select
        *,
        case when identify_ms is null or event_ms >= identify_ms then user_after
            else user_before end as user_num,
        unnest(case when fault in ({duplicates}) then [0, 1] else [0] end) as copy_no
    from timed
),

delays as (
    select
        *,
        -- analytics.js sends at once, mobile libraries in batches
        case when platform = 'web' then 10 + floor(pow(rnd(e, 'flush'), 3) * 3000)
            else 1000 + floor(rnd(e, 'flush') * 29000) end::bigint as flush_ms,
        case when rnd(e, 'slow_network') < 0.97 then 20 + floor(pow(rnd(e, 'latency'), 2) * 800)
            else 800 + floor(rnd(e, 'latency') * 4200) end::bigint as latency_ms,
        case when fault = 'late_arrival'
            then {_DAY_MS} + floor(rnd(e, 'offline') * 4 * {_DAY_MS}) else 0 end::bigint
            as offline_ms,
        case when fault = 'clock_skew'
            then (case when rnd(e, 'skew_sign') < 0.5 then -1 else 1 end)
                * ({_HOUR_MS} + floor(rnd(e, 'skew') * 29 * {_HOUR_MS}))
            else 0 end::bigint as skew_ms,
        -- when a duplicate copy was received, relative to the first copy
        case
            when copy_no = 0 or fault = 'exact_duplicate' then 0
            when fault = 'resent_duplicate' and rnd(e, 'resend_soon') < 0.5
                then 60000 + floor(rnd(e, 'resend') * 1740000)
            when fault = 'resent_duplicate'
                then 6 * {_HOUR_MS} + floor(rnd(e, 'resend') * 42 * {_HOUR_MS})
            else -(1000 + floor(rnd(e, 'resend') * 599000))
        end::bigint as resend_ms
    from copies
),

received as (
    select
        *,
        event_ms + flush_ms + offline_ms + latency_ms as first_received_ms,
        -- an earlier copy still arrives the same day, so it sits in the same file
        greatest(
            event_ms + flush_ms + offline_ms + latency_ms + resend_ms,
            (event_ms + flush_ms + offline_ms + latency_ms) // {_DAY_MS} * {_DAY_MS}
        ) as received_ms
    from delays
)

select
    sid, e, copy_no, role, li, j, user_num, fault, received_ms,
    -- the client clock's reading (skewed clocks included), as Segment stores it
    case when fault = 'future_time'
        then received_ms + 2 * {_DAY_MS} + floor(rnd(e, 'future') * 28 * {_DAY_MS})::bigint
        else event_ms + skew_ms end as original_ms,
    event_ms + flush_ms + offline_ms + skew_ms + received_ms - first_received_ms as sent_ms,
    -- Segment's corrected time: receivedAt - (sentAt - originalTimestamp)
    case
        when fault = 'clock_skew' then null
        when fault = 'future_time'
            then received_ms + 2 * {_DAY_MS} + floor(rnd(e, 'future') * 28 * {_DAY_MS})::bigint
        else event_ms + latency_ms
    end as timestamp_ms,
    case when fault = 'resent_earlier_duplicate' and copy_no = 1
        then first_received_ms + 1000 + floor(rnd(e, 'write_lag') * 59000)::bigint
        else received_ms end as write_ms,
    epoch_ms(received_ms)::date as received_day
from received
"""


# --------------------------------------------------------------------------------------------
# Stage 2: one file per arrival day
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """A key of the output record and the SQL expression of its value (or nested keys)."""

    name: str
    sql: str = ""
    kind: str = "text"  # text | number | list (of structs) | json (rendered text) | object
    members: tuple[_Key, ...] = ()


def _obj(name: str, *members: _Key) -> _Key:
    return _Key(name, kind="object", members=members)


def _num(name: str, sql: str) -> _Key:
    return _Key(name, sql, kind="number")


# JSON text is assembled with concat(), which skips NULL arguments: every member's key and
# quotes are wrapped in "case when <value> is not null", so absent members vanish, and a whole
# object costs one string allocation. An object's first member must be present whenever the
# object is (it carries no comma). Generated text never needs escaping: it has no quotes,
# backslashes or control characters.


def _json_parts(key: _Key, first: bool = False) -> list[str]:
    """concat() arguments writing ``key`` as an object member; nothing when its value is NULL."""
    label = ("" if first else ",") + f'"{key.name}":'
    if key.kind == "object":
        lead = key.members[0]
        while lead.kind == "object":
            lead = lead.members[0]
        present = f"({lead.sql}) is not null"
        return [
            f"case when {present} then {_literal(label + '{')} end",
            *_json_members(key.members),
            f"case when {present} then '}}' end",
        ]
    present = f"({key.sql}) is not null"
    if key.kind == "text":
        return [
            f"case when {present} then {_literal(label + chr(34))} end",
            key.sql,
            f"case when {present} then '{chr(34)}' end",
        ]
    value = {"number": f"({key.sql})::varchar", "list": f"to_json({key.sql})::varchar"}
    return [f"case when {present} then {_literal(label)} end", value.get(key.kind, key.sql)]


def _json_members(keys: Sequence[_Key]) -> list[str]:
    parts = _json_parts(keys[0], first=True)
    for key in keys[1:]:
        parts += _json_parts(key)
    return parts


def _json_object(keys: Sequence[_Key]) -> str:
    return "concat('{', " + ", ".join(_json_members(keys)) + ", '}')"


def _struct(keys: Sequence[_Key]) -> str:
    members = ", ".join(f'"{key.name}" := {_struct_value(key)}' for key in keys)
    return f"struct_pack({members})"


def _struct_value(key: _Key) -> str:
    return _struct(key.members) if key.kind == "object" else key.sql


# context members that only depend on the visitor: their JSON is rendered once per visitor
VISITOR_CONTEXT = (
    _obj("library", _Key("name", "library_name"), _Key("version", "library_version")),
    _Key("userAgent", "user_agent"),
    _Key("locale", "locale"),
    _obj("location", _Key("country", "country")),
    _obj(
        "device",
        _Key("type", "device_kind"),
        _Key("manufacturer", "device_manufacturer"),
        _Key("model", "device_model"),
    ),
    _obj("os", _Key("name", "os_name"), _Key("version", "os_version")),
    _obj(
        "app", _Key("name", "app_name"), _Key("version", "app_version"), _Key("build", "app_build")
    ),
)


def _campaign(prefix: str) -> _Key:
    return _obj(
        "campaign",
        _Key("source", f"{prefix}utm_source"),
        _Key("medium", f"{prefix}utm_medium"),
        _Key("name", f"{prefix}utm_campaign"),
        _Key("term", f"{prefix}utm_term"),
        _Key("content", f"{prefix}utm_content"),
    )


PAGE = (
    _Key("path", "page_path"),
    _Key("referrer", "page_referrer"),
    _Key("search", "page_search"),
    _Key("title", "page_title"),
    _Key("url", "page_url"),
)

# Properties by kind of call: (condition, keys), first match wins. The first key of each set is
# always present for that kind.
PROPERTY_SETS: tuple[tuple[str, tuple[_Key, ...]], ...] = (
    ("call_type = 'page'", PAGE),
    (
        "role = 'funnel' and li <= 1",
        (
            _Key("product_id", "funnel_product::varchar"),
            _Key("sku", "'SKU-' || funnel_product"),
            _Key("name", "'Product ' || funnel_product"),
            _Key("category", f"{_list(CATEGORIES)}[1 + funnel_product % {len(CATEGORIES)}]"),
            _num("price", "product_price(funnel_product)"),
            _num(
                "quantity", "case when li = 1 then 1 + floor(rnd(e, 'quantity') * 3)::integer end"
            ),
            _Key("currency", "'USD'"),
        ),
    ),
    (
        "role = 'funnel'",
        (
            _Key("order_id", "order_id"),
            _num("value", "case when li = 2 then order_revenue end"),
            _num("revenue", "order_revenue"),
            _Key("currency", "'USD'"),
            _Key("products", "order_products", kind="list"),
        ),
    ),
    (
        "role = 'signup' and li = 1",
        (
            _Key("method", "pick(['email', 'google', 'github'], rnd(sid, 'signup_method'))"),
            _Key("plan", "account_plan"),
        ),
    ),
    ("role = 'setup'", (_num("steps_completed", "3 + floor(rnd(e, 'setup_steps') * 5)::integer"),)),
    (
        "role = 'feature'",
        (
            _Key(
                "feature",
                "pick(['dashboards', 'automations', 'editor', 'segments', 'integrations'],"
                " rnd(e, 'feature'))",
            ),
        ),
    ),
    (
        "role = 'export'",
        (
            _Key(
                "report",
                "pick(['weekly_summary', 'revenue', 'cohorts', 'funnel'], rnd(e, 'report'))",
            ),
            _Key("format", "pick(['csv', 'pdf', 'xlsx'], rnd(e, 'export_format'))"),
        ),
    ),
    (
        "event_name = 'JS Error'",
        (
            _Key(
                "message",
                """pick(['TypeError: Cannot read properties of undefined (reading ''price'')',
                    'ReferenceError: dataLayer is not defined',
                    'ChunkLoadError: Loading chunk 42 failed.'], rnd(e, 'error'))""",
            ),
        ),
    ),
    (
        "role = 'friction'",
        (
            _Key(
                "element",
                """pick(['#checkout-button', 'button.add-to-cart', 'a.nav-link',
                    'div.promo-banner', 'input#coupon'], rnd(e, 'element'))""",
            ),
        ),
    ),
)

TRAIT_SETS: tuple[tuple[str, tuple[_Key, ...]], ...] = (
    (
        "call_type = 'identify'",
        (
            _Key("email", "user_id_text(user_num) || '@example.com'"),
            _Key(
                "name",
                f"pick({_list(FIRST_NAMES)}, rnd(user_num, 'first_name')) || ' ' "
                f"|| pick({_list(LAST_NAMES)}, rnd(user_num, 'last_name'))",
            ),
            _Key("plan", "account_plan"),
            _Key("company", "company"),
            _num("company_size", "company_size"),
            _num("mrr", "account_mrr"),
        ),
    ),
    (
        "call_type = 'group'",
        (
            _Key("name", "company"),
            _Key("industry", f"pick({_list(INDUSTRIES)}, rnd(company_index, 'industry'))"),
            _num("employees", "company_size"),
            _Key("plan", "account_plan"),
        ),
    ),
)


def _sets_json(sets: Sequence[tuple[str, tuple[_Key, ...]]]) -> str:
    """JSON object text for the first matching set; only that set's values are computed."""
    whens = " ".join(f"when {condition} then {_json_object(keys)}" for condition, keys in sets)
    return f"case {whens} end"


def _set_index(sets: Sequence[tuple[str, tuple[_Key, ...]]]) -> str:
    """1-based index of the first matching set (NULL when none matches)."""
    whens = " ".join(f"when {condition} then {i}" for i, (condition, _) in enumerate(sets, 1))
    return f"case {whens} end"


def _sets_keys(sets: Sequence[tuple[str, tuple[_Key, ...]]], index: str) -> tuple[_Key, ...]:
    """The union of all sets' keys, each NULL where the row's set lacks it.

    ``index`` is a column holding _set_index(sets), so each key costs one small CASE.
    """
    values: dict[str, list[str]] = {}
    for i, (_, keys) in enumerate(sets, 1):
        for key in keys:
            values.setdefault(key.name, []).append(f"when {i} then {key.sql}")
    kinds = {key.name: key.kind for _, keys in sets for key in keys}
    return tuple(
        _Key(name, f"case {index} {' '.join(whens)} end", kinds[name])
        for name, whens in values.items()
    )


def _flattened(keys: Sequence[_Key], leaves: dict[str, str]) -> tuple[_Key, ...]:
    """The same keys with every value replaced by a column alias (``leaves``: alias -> SQL)."""
    flat = []
    for key in keys:
        if key.kind == "object":
            flat.append(_obj(key.name, *_flattened(key.members, leaves)))
        else:
            alias = f"value_{len(leaves)}"
            leaves[alias] = key.sql
            flat.append(_Key(key.name, alias, key.kind))
    return tuple(flat)


HEADER = (
    _Key("type", "type"),
    _Key("messageId", "message_id"),
    _Key("event", "event"),
    _Key("name", "name"),
    _Key("anonymousId", "anonymous_id"),
    _Key("userId", "user_id"),
    _Key("groupId", "group_id"),
    _Key("previousId", "previous_id"),
)
TIMES = (
    _Key("timestamp", "timestamp_text"),
    _Key("originalTimestamp", "original_timestamp_text"),
    _Key("sentAt", "sent_at_text"),
    _Key("receivedAt", "received_at_text"),
)


# visitor columns the output needs (the JSON only needs the first two)
_RENDERED_VISITOR_COLUMNS = (
    "anonymous_id",
    "context_json",
    "library_name",
    "library_version",
    "user_agent",
    "locale",
    "country",
    "device_kind",
    "device_manufacturer",
    "device_model",
    "os_name",
    "os_version",
    "app_name",
    "app_version",
    "app_build",
)


def _friction_name(u: str) -> str:
    weights = (30, 25, 15, 20, 10)
    return _weighted(u, list(zip(FRICTION_EVENTS, weights, strict=True)))


def _described_rows_sql(day: dt.date) -> str:
    """Rows arriving on ``day`` with every value the output needs (both formats)."""
    plan = _weighted(
        "rnd(company_index, 'plan')",
        [("free", 50), ("starter", 25), ("pro", 18), ("enterprise", 7)],
    )
    visitor_columns = ", ".join(f"visitors.{column}" for column in _RENDERED_VISITOR_COLUMNS)
    return f"""
with day_rows as (
    select events.*, sessions.* exclude (sid), {visitor_columns}
    from events
    join sessions using (sid)
    join visitors on visitors.v = sessions.v
    where events.received_day = date '{day}'
        and sessions.start_day between date '{day}' - {_MAX_ARRIVAL_LAG_DAYS} and date '{day}'
),

located as (
    select
        *,
        {_page_path("j")} as path,
        -- only the page a visitor arrives on has the campaign and an outside referrer
        case
            when j = 0 then landing_referrer
            when j = switch_j then switch_referrer
            when platform = 'web' then '{SITE}' || {_page_path("j - 1")}
        end as referrer,
        case when j = 0 then 'landing' when j = switch_j then 'switch' end as arrival
    from day_rows
),

pages as (
    select
        *,
        case arrival when 'landing' then utm_query when 'switch' then switch_utm_query end
            as search,
        page_name(path) as page_name
    from located
),

calls as (
    select
        *,
        case
            when role = 'page' and platform = 'web' then 'page'
            when role = 'page' then 'screen'
            when role = 'login' or (role = 'signup' and li = 0) then 'identify'
            when role = 'signup' and li = 2 and has_group then 'group'
            when role = 'signup' and li >= 2 then 'alias'
            else 'track'
        end as call_type,
        case role
            when 'funnel' then {_list(FUNNEL_EVENTS)}[li + 1]
            when 'signup' then case when li = 1 then 'Signed Up' end
            when 'setup' then 'Setup Completed'
            when 'feature' then 'Core Feature Used'
            when 'export' then 'Report Exported'
            when 'friction' then {_friction_name("rnd(e, 'friction_kind')")}
        end as event_name,
        case when role in ('login', 'signup')
            then floor(rnd(user_num, 'company') * 400)::integer end as company_index
    from pages
),

accounts as (
    select
        *,
        case when company_index is not null then {plan} end as account_plan
    from calls
)

select
    * replace (
        case when fault = 'missing_identity' then null else anonymous_id end as anonymous_id
    ),
    case when fault is distinct from 'missing_message_id'
        then lower(hex(seeded_hash(e, 'message_id')) || hex(seeded_hash(e, 'message_id_2')))
    end as message_id,
    case
        when fault = 'unknown_type'
            then pick(['trak', 'pageview', 'screenview', 'event'], rnd(e, 'unknown_type'))
        when fault = 'blank_event_name' then 'track'
        else call_type
    end as type,
    case
        when fault = 'blank_event_name' then pick(['', ' ', '   '], rnd(e, 'blank_name'))
        -- clients disagree on spelling; normalization downstream maps these together
        when rnd(e, 'naming') < 0.82 then event_name
        when rnd(e, 'naming') < 0.91 then lower(replace(event_name, ' ', '_'))
        when rnd(e, 'naming') < 0.96 then lower(replace(event_name, ' ', '-'))
        else lower(event_name)
    end as event,
    case when role = 'page' then page_name end as name,
    case when fault = 'missing_identity' then null else user_id_text(user_num) end as user_id,
    case when call_type = 'group' then 'g_' || company_index end as group_id,
    case when call_type = 'alias' and fault is distinct from 'missing_identity'
        then anonymous_id end as previous_id,
    case when platform = 'web' then path end as page_path,
    case when platform = 'web' then referrer end as page_referrer,
    case when platform = 'web' then search end as page_search,
    case when platform = 'web' then
        case when page_name = 'Product' then replace(path, '/products/', 'Product ')
            else page_name end || ' | Example Shop'
    end as page_title,
    case when platform = 'web' then concat('{SITE}', path, search) end as page_url,
    -- accounts: only for identify / group calls (company_index is NULL elsewhere)
    {_list(COMPANY_PREFIXES)}[1 + company_index % {len(COMPANY_PREFIXES)}] || ' '
        || {_list(COMPANY_SUFFIXES)}[1 + company_index // {len(COMPANY_PREFIXES)}] as company,
    case when company_index is not null then case account_plan
        when 'free' then 1 + floor(rnd(company_index, 'size') * 9)
        when 'starter' then 5 + floor(rnd(company_index, 'size') * 45)
        when 'pro' then 20 + floor(rnd(company_index, 'size') * 480)
        else 500 + floor(rnd(company_index, 'size') * 19500)
    end::integer end as company_size,
    case when company_index is not null then case account_plan
        when 'free' then 0
        when 'starter' then round(29 + rnd(company_index, 'mrr') * 70, 2)
        when 'pro' then round(199 + rnd(company_index, 'mrr') * 800, 2)
        else round(2000 + rnd(company_index, 'mrr') * 23000, 2)
    end::double end as account_mrr,
    case when fault = 'unparseable_time'
        then pick(['yesterday', 'not a date', '2026-13-45T25:61:00Z', 'NaN'], rnd(e, 'bad_time'))
        else iso_time(timestamp_ms) end as timestamp_text,
    case when fault = 'unparseable_time' then 'yesterday' else iso_time(original_ms) end
        as original_timestamp_text,
    iso_time(sent_ms) as sent_at_text,
    iso_time(received_ms) as received_at_text
from accounts
"""


def _copy_day_sql(config: GeneratorConfig, day: dt.date, path: Path) -> str:
    """One COPY statement writing the rows that arrived on ``day``, in a fixed order."""
    if config.output_format == "parquet":
        return _parquet_copy_sql(day, path)
    return _jsonl_copy_sql(day, path)


def _parquet_copy_sql(day: dt.date, path: Path) -> str:
    campaign = _campaign("campaign_").members
    # the row's campaign: the one it arrived with, if any
    arrival_campaign = ", ".join(
        f"case arrival when 'landing' then utm_{name} when 'switch' then switch_utm_{name}"
        f" end as campaign_utm_{name}"
        for name in ("source", "medium", "campaign", "term", "content")
    )
    record = (
        *HEADER,
        _obj("context", *VISITOR_CONTEXT, _obj("page", *PAGE), _obj("campaign", *campaign)),
        _obj("properties", *_sets_keys(PROPERTY_SETS, "property_set")),
        _obj("traits", *_sets_keys(TRAIT_SETS, "trait_set")),
        *TIMES,
    )
    # Sorting flat values is much cheaper than sorting structs: sort first, then pack (a
    # projection keeps the order of its input).
    leaves: dict[str, str] = {}
    flat = _flattened(record, leaves)
    columns = ", ".join(f'{_struct_value(key)} as "{key.name}"' for key in flat)
    values = ", ".join(f"{sql} as {alias}" for alias, sql in leaves.items())
    return f"""
copy (
    select {columns}
    from (
        select {values}
        from (
            select
                *,
                {arrival_campaign},
                {_set_index(PROPERTY_SETS)} as property_set,
                {_set_index(TRAIT_SETS)} as trait_set
            from ({_described_rows_sql(day)})
        )
        order by write_ms, e, copy_no
    )
) to {_literal(str(path))} (format parquet, compression zstd)
"""


def _jsonl_copy_sql(day: dt.date, path: Path) -> str:
    line = [
        "'{'",
        *_json_members(HEADER),
        "',\"context\":{'",
        "context_json",
        *_json_parts(_Key("page", "page_json", kind="json")),
        "case arrival when 'landing' then campaign_json"
        " when 'switch' then switch_campaign_json end",
        "'}'",
        *_json_parts(_Key("properties", "properties_json", kind="json")),
        *_json_parts(_Key("traits", "traits_json", kind="json")),
        *(part for key in TIMES for part in _json_parts(key)),
        "'}'",
    ]
    # a page call's properties are its page context (the first property set)
    properties = _sets_json(PROPERTY_SETS[1:])
    # Lines are complete JSON text: CSV without quoting or escaping writes them verbatim.
    return f"""
copy (
    -- invalid_json: the line is cut short, as a writer that crashed mid-line leaves it
    select case when fault = 'invalid_json' then left(line, length(line) // 2) else line end
    from (
        select
            write_ms,
            e,
            copy_no,
            fault,
            concat({", ".join(line)}) as line
        from (
            select
                *,
                case when call_type = 'page' then page_json else {properties} end
                    as properties_json,
                {_sets_json(TRAIT_SETS)} as traits_json
            from (
                select *, case when platform = 'web' then {_json_object(PAGE)} end as page_json
                from ({_described_rows_sql(day)})
            )
        )
    )
    order by write_ms, e, copy_no
) to {_literal(str(path))} (format csv, header false, quote '', escape '')
"""


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)


def _build_tables(con: duckdb.DuckDBPyConnection, config: GeneratorConfig) -> None:
    n_visitors = config.events // _EVENTS_PER_VISITOR_GUESS + 100
    while True:
        con.execute(_visitors_sql(n_visitors, config))
        con.execute(_sessions_sql(config))
        (total,) = con.execute("select coalesce(sum(n_events), 0) from sessions").fetchone()
        if total >= config.events:
            break
        # visitors are a prefix of a longer run's, so asking for more only appends some
        n_visitors = int(n_visitors * 1.1 * config.events / max(total, 1)) + 100
    # Number events in visitor order; the first `events` of them are generated.
    con.execute("""
        create or replace table session_offsets as
        select sid, (sum(n_events) over (order by sid) - n_events)::bigint as first_e
        from sessions
    """)
    con.execute(_events_sql(config))


def generate(out_dir: Path, config: GeneratorConfig | None = None) -> GenerationSummary:
    """Write ``events-YYYY-MM-DD.<format>`` files into ``out_dir``; see the module docstring."""
    config = config or GeneratorConfig()
    config.validate()
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("events-*.jsonl"), *out_dir.glob("events-*.parquet")]:
        old.unlink()

    with tempfile.TemporaryDirectory(prefix="segmart-sample-") as spill, duckdb.connect() as con:
        con.execute(f"set temp_directory = {_literal(spill)}")
        con.execute("set preserve_insertion_order = true")
        con.execute("set TimeZone = 'UTC'")
        # compressed in-memory tables: several times smaller at a small cost in build time
        con.execute(f"attach ':memory:' as {_DATABASE} (compress)")
        con.execute(f"use {_DATABASE}")
        con.execute(_macros(config.seed))
        _build_tables(con, config)
        days = [
            row[0]
            for row in con.execute("select distinct received_day from events order by 1").fetchall()
        ]
        files = [out_dir / f"events-{day.isoformat()}.{config.output_format}" for day in days]

        def write(day: dt.date, path: Path) -> int:
            with con.cursor() as cursor:
                cursor.execute(f"use {_DATABASE}")
                (count,) = cursor.execute(_copy_day_sql(config, day, path)).fetchone()
            return int(count)

        # Each COPY ends in a mostly sequential write: two at a time keep both cores busy.
        with ThreadPoolExecutor(max_workers=_PARALLEL_FILES) as pool:
            rows_written = sum(pool.map(write, days, files))
        (expected,) = con.execute("select count(*) from events").fetchone()
        if rows_written != expected:
            raise RuntimeError(f"wrote {rows_written} rows, expected {expected}")
        faults = dict.fromkeys(FAULT_SHARES, 0)
        duplicates = ", ".join(_literal(kind) for kind in DUPLICATE_FAULTS)
        for kind, count in con.execute(f"""
            select fault, count(*)
            from events
            where fault is not null and (copy_no = 1 or fault not in ({duplicates}))
            group by fault
        """).fetchall():
            faults[kind] = count

    return GenerationSummary(
        files=files,
        rows_written=rows_written,
        seconds=time.perf_counter() - started,
        faults=faults,
        events=config.events,
        bytes_written=sum(path.stat().st_size for path in files),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m segmart.sample_data",
        description="Generate deterministic Segment-spec sample events, one file per arrival day.",
    )
    defaults = GeneratorConfig()
    parser.add_argument("--events", type=int, default=defaults.events, help="good events")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--days", type=int, default=defaults.days, help="span of event time")
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, default=defaults.start, help="first day, UTC"
    )
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default=defaults.output_format)
    parser.add_argument(
        "--fault-rate", type=float, default=defaults.fault_rate, help="share of faulty events"
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)
    config = GeneratorConfig(
        events=args.events,
        seed=args.seed,
        days=args.days,
        start=args.start,
        output_format=args.format,
        fault_rate=args.fault_rate,
    )
    try:
        summary = generate(args.out, config)
    except ValueError as error:
        parser.error(str(error))
    print(f"{args.out}: {summary.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
