"""Stage 2: the output record (keys of context, properties, traits) and the COPY that renders
one arrival day's rows into a JSONL or Parquet file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from segmart.sample_data.config import (
    FRICTION_EVENTS,
    FUNNEL_EVENTS,
    MAX_ARRIVAL_LAG_DAYS,
    SITE,
    GeneratorConfig,
)
from segmart.sample_data.json_fragments import (
    Key,
    json_members,
    json_object,
    json_parts,
    num,
    obj,
    struct_value,
)
from segmart.sample_data.sql_blocks import (
    CATEGORIES,
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    FIRST_NAMES,
    INDUSTRIES,
    JOB_FUNCTIONS,
    LAST_NAMES,
    page_path,
    sql_list,
    weighted,
)
from segmart.sql import duckdb_string

# context members that only depend on the visitor: their JSON is rendered once per visitor
VISITOR_CONTEXT = (
    obj("library", Key("name", "library_name"), Key("version", "library_version")),
    Key("userAgent", "user_agent"),
    Key("locale", "locale"),
    obj("location", Key("country", "country")),
    obj(
        "device",
        Key("type", "device_kind"),
        Key("manufacturer", "device_manufacturer"),
        Key("model", "device_model"),
    ),
    obj("os", Key("name", "os_name"), Key("version", "os_version")),
    obj("app", Key("name", "app_name"), Key("version", "app_version"), Key("build", "app_build")),
)


def campaign_key(prefix: str) -> Key:
    return obj(
        "campaign",
        Key("source", f"{prefix}utm_source"),
        Key("medium", f"{prefix}utm_medium"),
        Key("name", f"{prefix}utm_campaign"),
        Key("term", f"{prefix}utm_term"),
        Key("content", f"{prefix}utm_content"),
    )


PAGE = (
    Key("path", "page_path"),
    Key("referrer", "page_referrer"),
    Key("search", "page_search"),
    Key("title", "page_title"),
    Key("url", "page_url"),
)

# Properties by kind of call: (condition, keys), first match wins. The first key of each set is
# always present for that kind.
PROPERTY_SETS: tuple[tuple[str, tuple[Key, ...]], ...] = (
    ("call_type = 'page'", PAGE),
    (
        "role = 'funnel' and li <= 1",
        (
            Key("product_id", "funnel_product::varchar"),
            Key("sku", "'SKU-' || funnel_product"),
            Key("name", "'Product ' || funnel_product"),
            Key("category", f"{sql_list(CATEGORIES)}[1 + funnel_product % {len(CATEGORIES)}]"),
            num("price", "product_price(funnel_product)"),
            num("quantity", "case when li = 1 then 1 + floor(rnd(e, 'quantity') * 3)::integer end"),
            Key("currency", "'USD'"),
        ),
    ),
    (
        "role = 'funnel'",
        (
            Key("order_id", "order_id"),
            num("value", "case when li = 2 then order_revenue end"),
            num("revenue", "order_revenue"),
            Key("currency", "'USD'"),
            Key("products", "order_products", kind="list"),
        ),
    ),
    (
        "role = 'signup' and li = 1",
        (
            Key("method", "pick(['email', 'google', 'github'], rnd(sid, 'signup_method'))"),
            Key("plan", "account_plan"),
        ),
    ),
    ("role = 'setup'", (num("steps_completed", "3 + floor(rnd(e, 'setup_steps') * 5)::integer"),)),
    (
        "role = 'feature'",
        (
            Key(
                "feature",
                "pick(['dashboards', 'automations', 'editor', 'segments', 'integrations'],"
                " rnd(e, 'feature'))",
            ),
        ),
    ),
    (
        "role = 'export'",
        (
            Key(
                "report",
                "pick(['weekly_summary', 'revenue', 'cohorts', 'funnel'], rnd(e, 'report'))",
            ),
            Key("format", "pick(['csv', 'pdf', 'xlsx'], rnd(e, 'export_format'))"),
        ),
    ),
    (
        "event_name = 'JS Error'",
        (
            Key(
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
            Key(
                "element",
                """pick(['#checkout-button', 'button.add-to-cart', 'a.nav-link',
                    'div.promo-banner', 'input#coupon'], rnd(e, 'element'))""",
            ),
        ),
    ),
)

TRAIT_SETS: tuple[tuple[str, tuple[Key, ...]], ...] = (
    (
        "call_type = 'identify'",
        (
            Key("email", "user_id_text(user_num) || '@example.com'"),
            Key(
                "name",
                f"pick({sql_list(FIRST_NAMES)}, rnd(user_num, 'first_name')) || ' ' "
                f"|| pick({sql_list(LAST_NAMES)}, rnd(user_num, 'last_name'))",
            ),
            Key("plan", "account_plan"),
            Key("company", "company"),
            num("company_size", "company_size"),
            num("mrr", "account_mrr"),
            Key(
                "job_function",
                f"pick({sql_list(JOB_FUNCTIONS)}, rnd(user_num, 'job_function'))",
            ),
        ),
    ),
    (
        "call_type = 'group'",
        (
            Key("name", "company"),
            Key("industry", f"pick({sql_list(INDUSTRIES)}, rnd(company_index, 'industry'))"),
            num("employees", "company_size"),
            Key("plan", "account_plan"),
        ),
    ),
)


def _sets_json(sets: Sequence[tuple[str, tuple[Key, ...]]]) -> str:
    """JSON object text for the first matching set; only that set's values are computed."""
    whens = " ".join(f"when {condition} then {json_object(keys)}" for condition, keys in sets)
    return f"case {whens} end"


def _set_index(sets: Sequence[tuple[str, tuple[Key, ...]]]) -> str:
    """1-based index of the first matching set (NULL when none matches)."""
    whens = " ".join(f"when {condition} then {i}" for i, (condition, _) in enumerate(sets, 1))
    return f"case {whens} end"


def _sets_keys(sets: Sequence[tuple[str, tuple[Key, ...]]], index: str) -> tuple[Key, ...]:
    """The union of all sets' keys, each NULL where the row's set lacks it.

    ``index`` is a column holding _set_index(sets), so each key costs one small CASE.
    """
    values: dict[str, list[str]] = {}
    for i, (_, keys) in enumerate(sets, 1):
        for key in keys:
            values.setdefault(key.name, []).append(f"when {i} then {key.sql}")
    kinds = {key.name: key.kind for _, keys in sets for key in keys}
    return tuple(
        Key(name, f"case {index} {' '.join(whens)} end", kinds[name])
        for name, whens in values.items()
    )


def _flattened(keys: Sequence[Key], leaves: dict[str, str]) -> tuple[Key, ...]:
    """The same keys with every value replaced by a column alias (``leaves``: alias -> SQL)."""
    flat = []
    for key in keys:
        if key.kind == "object":
            flat.append(obj(key.name, *_flattened(key.members, leaves)))
        else:
            alias = f"value_{len(leaves)}"
            leaves[alias] = key.sql
            flat.append(Key(key.name, alias, key.kind))
    return tuple(flat)


HEADER = (
    Key("type", "type"),
    Key("messageId", "message_id"),
    Key("event", "event"),
    Key("name", "name"),
    Key("anonymousId", "anonymous_id"),
    Key("userId", "user_id"),
    Key("groupId", "group_id"),
    Key("previousId", "previous_id"),
)
TIMES = (
    Key("timestamp", "timestamp_text"),
    Key("originalTimestamp", "original_timestamp_text"),
    Key("sentAt", "sent_at_text"),
    Key("receivedAt", "received_at_text"),
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
    return weighted(u, list(zip(FRICTION_EVENTS, weights, strict=True)))


def _described_rows_sql(day: dt.date) -> str:
    """Rows arriving on ``day`` with every value the output needs (both formats)."""
    plan = weighted(
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
        and sessions.start_day between date '{day}' - {MAX_ARRIVAL_LAG_DAYS} and date '{day}'
),

located as (
    select
        *,
        {page_path("j")} as path,
        -- only the page a visitor arrives on has the campaign and an outside referrer
        case
            when j = 0 then landing_referrer
            when j = switch_j then switch_referrer
            when platform = 'web' then '{SITE}' || {page_path("j - 1")}
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
            when 'funnel' then {sql_list(FUNNEL_EVENTS)}[li + 1]
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
    {sql_list(COMPANY_PREFIXES)}[1 + company_index % {len(COMPANY_PREFIXES)}] || ' '
        || {sql_list(COMPANY_SUFFIXES)}[1 + company_index // {len(COMPANY_PREFIXES)}] as company,
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


def copy_day_sql(config: GeneratorConfig, day: dt.date, path: Path) -> str:
    """One COPY statement writing the rows that arrived on ``day``, in a fixed order."""
    if config.output_format == "parquet":
        return _parquet_copy_sql(day, path)
    compression = "gzip" if config.output_format == "jsonl.gz" else "none"
    return _jsonl_copy_sql(day, path, compression)


def _parquet_copy_sql(day: dt.date, path: Path) -> str:
    campaign = campaign_key("campaign_").members
    # the row's campaign: the one it arrived with, if any
    arrival_campaign = ", ".join(
        f"case arrival when 'landing' then utm_{name} when 'switch' then switch_utm_{name}"
        f" end as campaign_utm_{name}"
        for name in ("source", "medium", "campaign", "term", "content")
    )
    record = (
        *HEADER,
        obj("context", *VISITOR_CONTEXT, obj("page", *PAGE), obj("campaign", *campaign)),
        obj("properties", *_sets_keys(PROPERTY_SETS, "property_set")),
        obj("traits", *_sets_keys(TRAIT_SETS, "trait_set")),
        *TIMES,
    )
    # Sorting flat values is much cheaper than sorting structs: sort first, then pack (a
    # projection keeps the order of its input).
    leaves: dict[str, str] = {}
    flat = _flattened(record, leaves)
    columns = ", ".join(f'{struct_value(key)} as "{key.name}"' for key in flat)
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
) to {duckdb_string(str(path))} (format parquet, compression zstd)
"""


def _jsonl_copy_sql(day: dt.date, path: Path, compression: str) -> str:
    line = [
        "'{'",
        *json_members(HEADER),
        "',\"context\":{'",
        "context_json",
        *json_parts(Key("page", "page_json", kind="json")),
        "case arrival when 'landing' then campaign_json"
        " when 'switch' then switch_campaign_json end",
        "'}'",
        *json_parts(Key("properties", "properties_json", kind="json")),
        *json_parts(Key("traits", "traits_json", kind="json")),
        *(part for key in TIMES for part in json_parts(key)),
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
                select *, case when platform = 'web' then {json_object(PAGE)} end as page_json
                from ({_described_rows_sql(day)})
            )
        )
    )
    order by write_ms, e, copy_no
) to {duckdb_string(str(path))} (
    format csv, header false, quote '', escape '', compression {compression}
)
"""
