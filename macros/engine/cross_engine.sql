{#- Engine-specific SQL lives here, one dispatched macro per construct, so a new engine is one
    more implementation per macro rather than edits across models. -#}

{#- Parse an ISO-8601 text into a UTC timestamp; null when it does not parse. -#}
{% macro parse_timestamp(text) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'segmart')(text)) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(text) -%}
    timezone('UTC', try_cast({{ text }} as timestamptz))
{%- endmacro %}

{% macro postgres__parse_timestamp(text) -%}
    ({{ segmart.engine_function('try_timestamptz') }}({{ text }}) at time zone 'UTC')
{%- endmacro %}

{#- Elapsed seconds between two timestamps, fractional. dbt.datediff counts unit boundaries,
    which is wrong for inactivity gaps (2 s across a minute boundary would be "1 minute"). -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'segmart')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }}))
{%- endmacro %}

{#- extract(epoch ...) is numeric on PostgreSQL: cast, so durations are doubles as on DuckDB. -#}
{% macro postgres__seconds_between(start_ts, end_ts) -%}
    cast(extract(epoch from ({{ end_ts }} - {{ start_ts }})) as double precision)
{%- endmacro %}

{#- Text value at a JSON path ('$.a.b'); null when absent. -#}
{% macro json_text(json_column, path) -%}
    {{ return(adapter.dispatch('json_text', 'segmart')(json_column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(json_column, path) -%}
    json_extract_string({{ json_column }}, {{ segmart.sql_string(path) }})
{%- endmacro %}

{#- '$.a.b' -> column #>> '{a,b}' (json or jsonb). -#}
{% macro postgres__json_text(json_column, path) -%}
    ({{ json_column }} #>> {{ segmart.sql_string('{' ~ path[2:].split('.') | join(',') ~ '}') }})
{%- endmacro %}

{#- Does the text match the regular expression (anywhere in the string)? -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'segmart')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{#- PostgreSQL's advanced regular expressions take the same (?i) prefix and classes we use. -#}
{% macro postgres__regex_matches(text, pattern) -%}
    ({{ text }} ~ {{ pattern }})
{%- endmacro %}

{#- The first capture group of the first match, '' when nothing matches (DuckDB's
    regexp_extract). Only group 1 is portable (PostgreSQL's substring ... from). -#}
{% macro regex_extract(text, pattern) -%}
    {{ return(adapter.dispatch('regex_extract', 'segmart')(text, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_extract(text, pattern) -%}
    regexp_extract({{ text }}, {{ pattern }}, 1)
{%- endmacro %}

{% macro postgres__regex_extract(text, pattern) -%}
    coalesce(substring({{ text }} from {{ pattern }}), '')
{%- endmacro %}

{#- try_cast(value as data_type): null when the value does not convert. data_type is one of
    varchar, bigint, double, boolean, timestamp (a naive timestamp; DuckDB ignores an offset). -#}
{% macro try_cast(value, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'segmart')(value, data_type)) }}
{%- endmacro %}

{% macro duckdb__try_cast(value, data_type) -%}
    try_cast({{ value }} as {{ data_type }})
{%- endmacro %}

{#- DuckDB rounds decimal text to the nearest integer for bigint (12.5 -> 13): so do these. -#}
{% macro postgres__try_cast(value, data_type) -%}
    {%- if data_type == 'varchar' -%}
        cast({{ value }} as text)
    {%- else -%}
        {{ segmart.engine_function('try_' ~ data_type) }}(cast({{ value }} as text))
    {%- endif -%}
{%- endmacro %}

{#- The value at a JSON path converted to data_type, null when absent or not convertible
    (registry conditions on numeric properties). -#}
{% macro json_as(json_column, path, data_type) -%}
    {{ segmart.try_cast(segmart.json_text(json_column, path), data_type) }}
{%- endmacro %}

{#- The last non-null value of the window frame (last_value ... ignore nulls); write the
    `over (...)` clause after it. -#}
{% macro last_value_ignore_nulls(value) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'segmart')(value)) }}
{%- endmacro %}

{% macro duckdb__last_value_ignore_nulls(value) -%}
    last_value({{ value }} ignore nulls)
{%- endmacro %}

{#- PostgreSQL has no IGNORE NULLS: an aggregate whose strict step keeps the latest non-null. -#}
{% macro postgres__last_value_ignore_nulls(value) -%}
    {{ segmart.engine_function('last_non_null') }}({{ value }})
{%- endmacro %}

{#- The value on the row with the largest / smallest ordering key within a group, ignoring rows
    where the value is null. order_by is a column or a list of columns (later ones break ties);
    where, when given, is the aggregate's filter (a condition). data_type (varchar, bigint,
    double or json) is the value's type: engines whose ordered aggregate loses it need it with
    a list of columns (Snowflake). -#}
{% macro value_at_max(value, order_by, where=none, data_type=none) -%}
    {{ return(adapter.dispatch('value_at_extreme', 'segmart')(
        value, order_by, 'max', where, data_type
    )) }}
{%- endmacro %}

{% macro value_at_min(value, order_by, where=none, data_type=none) -%}
    {{ return(adapter.dispatch('value_at_extreme', 'segmart')(
        value, order_by, 'min', where, data_type
    )) }}
{%- endmacro %}

{% macro duckdb__value_at_extreme(value, order_by, extreme, where, data_type) -%}
    {%- if order_by is string -%}
        {%- set key = order_by -%}
    {%- else -%}
        {%- set fields = [] -%}
        {%- for column in order_by -%}
            {%- do fields.append("'k" ~ loop.index ~ "': " ~ column) -%}
        {%- endfor -%}
        {%- set key = '{' ~ fields | join(', ') ~ '}' -%}
    {%- endif -%}
    arg_{{ extreme }}({{ value }}, {{ key }})
    {%- if where is not none %} filter (where {{ where }}){% endif -%}
{%- endmacro %}

{#- For engines without arg_max: the ORDER BY that puts the wanted row first ... -#}
{% macro extreme_ordering(order_by, extreme) -%}
    {%- set columns = [order_by] if order_by is string else order_by -%}
    {%- set direction = ' desc' if extreme == 'max' else ' asc' -%}
    {{ return(columns | join(direction ~ ', ') ~ direction) }}
{%- endmacro %}

{#- ... and the condition a row meets to count: the value and every ordering column not null
    (DuckDB's arg_max / arg_min ignore nulls), and the filter when given. -#}
{% macro extreme_row_condition(value, order_by, where) -%}
    {%- set columns = [order_by] if order_by is string else order_by -%}
    {%- set conditions = ['(' ~ value ~ ') is not null'] -%}
    {%- for column in columns -%}
        {%- do conditions.append('(' ~ column ~ ') is not null') -%}
    {%- endfor -%}
    {%- if where is not none -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {{ return(conditions | join(' and ')) }}
{%- endmacro %}

{#- The first element of the group's values ordered by the key. -#}
{% macro postgres__value_at_extreme(value, order_by, extreme, where, data_type) -%}
    (array_agg({{ value }} order by {{ segmart.extreme_ordering(order_by, extreme) }})
    filter (where {{ segmart.extreme_row_condition(value, order_by, where) }}))[1]
{%- endmacro %}

{#- The same as regex_matches, with the pattern as the call block's body: generated segment
    models pass registry patterns this way so they stay SQL literals, never Jinja strings. -#}
{% macro regex_match(text) -%}
    {{ segmart.regex_matches(text, caller()) }}
{%- endmacro %}

{#- numerator / denominator as a double-precision number, null when the denominator is 0.
    Rates need the cast: PostgreSQL and Spark divide integers as integers (1 / 3 = 0), and
    DuckDB's `float` is single precision. -#}
{% macro ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('ratio', 'segmart')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro duckdb__ratio(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- A function segmart creates on engines that lack a built-in (engine_setup()): its
    qualified name. -#}
{% macro engine_function(name) -%}
    {{ target.schema }}.segmart_{{ name }}
{%- endmacro %}

{#- A raw message parsed into something message_field reads; null when the text is not a JSON
    object (invalid JSON, or valid JSON that is not an object: [1, 2], "text"). -#}
{% macro parse_message(raw_message) -%}
    {{ return(adapter.dispatch('parse_message', 'segmart')(raw_message)) }}
{%- endmacro %}

{#- The struct each DuckDB line is parsed into: unknown fields are ignored, missing ones null.
    Fields whose JSON kind a rule checks (message_field_kind) stay JSON, read as text by
    message_field; context stays a struct, its leaves typed. -#}
{% macro duckdb_message_shape() -%}
    {{ return({
        'messageId': 'JSON', 'type': 'VARCHAR', 'anonymousId': 'JSON', 'userId': 'JSON',
        'groupId': 'JSON',
        'event': 'JSON', 'name': 'VARCHAR', 'properties': 'JSON', 'traits': 'JSON',
        'timestamp': 'VARCHAR', 'originalTimestamp': 'VARCHAR', 'sentAt': 'VARCHAR',
        'receivedAt': 'VARCHAR',
        'context': {
            'page': {'path': 'VARCHAR', 'url': 'VARCHAR', 'referrer': 'VARCHAR',
                     'title': 'VARCHAR', 'search': 'VARCHAR'},
            'campaign': {'source': 'VARCHAR', 'medium': 'VARCHAR', 'name': 'VARCHAR',
                         'term': 'VARCHAR', 'content': 'VARCHAR'},
            'device': {'type': 'VARCHAR'},
            'os': {'name': 'VARCHAR'},
            'userAgent': 'VARCHAR',
            'location': {'country': 'VARCHAR'},
            'locale': 'VARCHAR',
            'library': {'name': 'VARCHAR', 'version': 'VARCHAR'},
        },
    }) }}
{%- endmacro %}

{#- One parse per line into the typed struct, after json_valid's. Nested CASE, not AND: DuckDB
    may evaluate both sides of an AND, and json_type fails on bad JSON. Valid JSON starting with
    { is an object; only other lines (leading spaces, arrays, strings) are typed by json_type. -#}
{% macro duckdb__parse_message(raw_message) -%}
    {%- set transformed -%}
        json_transform(
            {{ raw_message }}, {{ segmart.sql_string(tojson(segmart.duckdb_message_shape())) }}
        )
    {%- endset -%}
    case
        when json_valid({{ raw_message }})
            then
                case
                    when starts_with({{ raw_message }}, '{') then {{ transformed }}
                    when json_type({{ raw_message }}) = 'OBJECT' then {{ transformed }}
                end
    end
{%- endmacro %}

{% macro postgres__parse_message(raw_message) -%}
    {{ segmart.engine_function('try_json_object') }}({{ raw_message }})
{%- endmacro %}

{#- A field of a parsed message by its dotted path ('context.page.path'): text, or JSON when
    json=true (properties, traits). -#}
{% macro message_field(path, json=false) -%}
    {{ return(adapter.dispatch('message_field', 'segmart')(path, json)) }}
{%- endmacro %}

{#- A field kept as JSON (duckdb_message_shape) is read as json_transform reads a VARCHAR field:
    a string unquoted, other values as JSON text (1.50 as 1.5, true as true). -#}
{% macro duckdb__message_field(path, json) -%}
    {%- if not json and segmart.duckdb_message_shape().get(path) == 'JSON' -%}
        (message.{{ path }} ->> '$')
    {%- else -%}
        message.{{ path }}
    {%- endif -%}
{%- endmacro %}

{#- Kept as json (not jsonb) in the tables: the type the marts' contracts declare on every
    engine. JSON null is SQL null, as on the other engines. -#}
{% macro postgres__message_field(path, json) -%}
    {%- if json -%}
        cast(nullif(message -> '{{ path }}', 'null'::jsonb) as json)
    {%- else -%}
        (message #>> '{{ '{' ~ path.split('.') | join(',') ~ '}' }}')
    {%- endif -%}
{%- endmacro %}

{#- The JSON kind of a top-level field of a parsed message (as message_field reads it):
    'string', 'number', 'boolean', 'object' or 'array'; null when the field is absent or JSON
    null. Rules reject ids, names and property bags of the wrong kind by it. -#}
{% macro message_field_kind(field) -%}
    {{ return(adapter.dispatch('message_field_kind', 'segmart')(field)) }}
{%- endmacro %}

{#- JSON fields (duckdb_message_shape) are typed from their small parsed value. context is a
    struct: a value that is not an object gives a struct of nulls, as {} does, so only then is
    the raw line read again (every key null: rare in real events). -#}
{% macro duckdb__message_field_kind(field) -%}
    {%- set shape = segmart.duckdb_message_shape()[field] -%}
    {%- if shape == 'JSON' -%}
        {{ segmart.duckdb_json_kind('json_type(message.' ~ field ~ ')') }}
    {%- elif shape is mapping -%}
        case
            when message.{{ field }} is null then null
            when {{ segmart.duckdb_struct_is_empty('message.' ~ field, shape) }}
                then {{ segmart.duckdb_json_kind(
                    'json_type(raw_message, ' ~ segmart.sql_string('$.' ~ field) ~ ')'
                ) }}
            else 'object'
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "segmart.message_field_kind: " ~ field ~ " is read as text on DuckDB; keep it JSON"
            ~ " in duckdb_message_shape to check its kind"
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- DuckDB's json_type names as message_field_kind's kinds (JSON null: null). -#}
{% macro duckdb_json_kind(json_type) -%}
    case {{ json_type }}
        when 'VARCHAR' then 'string'
        when 'BIGINT' then 'number'
        when 'UBIGINT' then 'number'
        when 'DOUBLE' then 'number'
        when 'BOOLEAN' then 'boolean'
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
    end
{%- endmacro %}

{#- Is every leaf of the struct (of the given shape) null? -#}
{% macro duckdb_struct_is_empty(struct, shape) -%}
    {%- set leaves = [] -%}
    {%- for key, value in shape.items() -%}
        {%- if value is mapping -%}
            {%- do leaves.append(segmart.duckdb_struct_is_empty(struct ~ '.' ~ key, value)) -%}
        {%- else -%}
            {%- do leaves.append(struct ~ '.' ~ key ~ ' is null') -%}
        {%- endif -%}
    {%- endfor -%}
    ({{ leaves | join(' and ') }})
{%- endmacro %}

{#- jsonb_typeof names the kinds alike; 'null' for JSON null. -#}
{% macro postgres__message_field_kind(field) -%}
    nullif(jsonb_typeof(message -> {{ segmart.sql_string(field) }}), 'null')
{%- endmacro %}

{#- Constructs the cloud warehouses need dispatched too (Snowflake, BigQuery). The
    default implementations are the SQL DuckDB and PostgreSQL share. -#}

{#- Leading and trailing spaces removed, as DuckDB's trim does: the Unicode space separators
    (' ', no-break space, ideographic space, ...), not tabs or line breaks. (PostgreSQL's trim
    removes ' ' only.) -#}
{% macro trim_spaces(text) -%}
    {{ return(adapter.dispatch('trim_spaces', 'segmart')(text)) }}
{%- endmacro %}

{% macro default__trim_spaces(text) -%}
    trim({{ text }})
{%- endmacro %}

{#- Leading and trailing characters of a set removed (chars: a SQL text expression). trim(text,
    chars) on DuckDB, PostgreSQL, Snowflake and BigQuery; Spark reads two arguments otherwise
    and needs the standard trim(both chars from text) form, which BigQuery and Snowflake lack. -#}
{% macro trim_chars(text, chars) -%}
    {{ return(adapter.dispatch('trim_chars', 'segmart')(text, chars)) }}
{%- endmacro %}

{% macro default__trim_chars(text, chars) -%}
    trim({{ text }}, {{ chars }})
{%- endmacro %}

{#- What DuckDB's trim removes: the Unicode space separators (category Zs), as code points. -#}
{% macro space_separator_code_points() -%}
    {{ return([32, 160, 5760] + range(8192, 8203) | list + [8239, 8287, 12288]) }}
{%- endmacro %}

{#- For engines whose trim removes other characters (BigQuery's: tabs and line breaks too) or
    fewer (Snowflake's: ' ' only): DuckDB's set named. -#}
{% macro trim_space_separators(text) -%}
    {%- set code_points = segmart.space_separator_code_points() -%}
    trim({{ text }}, {% for code in code_points %}chr({{ code }}){{ ' || ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Every match of the regular expression replaced (DuckDB and PostgreSQL need the 'g' flag;
    Spark, Snowflake and BigQuery replace every match and take no flags). -#}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'segmart')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- Does text contain needle (case-sensitive; the empty string is in every text)? -#}
{% macro text_contains(text, needle) -%}
    {{ return(adapter.dispatch('text_contains', 'segmart')(text, needle)) }}
{%- endmacro %}

{% macro default__text_contains(text, needle) -%}
    position({{ needle }} in {{ text }}) > 0
{%- endmacro %}

{#- The same, with the needle as the call block's body: generated segment models pass registry
    values this way so they stay SQL literals, never Jinja strings (as regex_match). -#}
{% macro text_contains_block(text) -%}
    {{ segmart.text_contains(text, caller()) }}
{%- endmacro %}

{#- dbt.dateadd (a timestamp moved by a whole number of days or hours) that stays a timestamp:
    dbt-bigquery's returns a DATETIME, which BigQuery will not compare with a TIMESTAMP. (Not
    named dateadd: dbt looks for default__dateadd in the root project first.) -#}
{% macro time_add(datepart, interval, timestamp) -%}
    {{ return(adapter.dispatch('time_add', 'segmart')(datepart, interval, timestamp)) }}
{%- endmacro %}

{% macro default__time_add(datepart, interval, timestamp) -%}
    {{ dbt.dateadd(datepart, interval, timestamp) }}
{%- endmacro %}

{#- timestamp minus the time that elapsed from start_ts to end_ts (device clock correction). -#}
{% macro minus_elapsed(timestamp, start_ts, end_ts) -%}
    {{ return(adapter.dispatch('minus_elapsed', 'segmart')(timestamp, start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__minus_elapsed(timestamp, start_ts, end_ts) -%}
    {{ timestamp }} - ({{ end_ts }} - {{ start_ts }})
{%- endmacro %}

{#- A UTC timestamp as the wall-clock time of the project's time zone (dbt var
    segmart_time_zone), still a timestamp without a zone: reports take its day or week. -#}
{% macro local_time(timestamp) -%}
    {%- set zone = var('segmart_time_zone') -%}
    {%- if zone == 'UTC' -%}
        {{ return(timestamp) }}
    {%- endif -%}
    {{ return(adapter.dispatch('local_time', 'segmart')(timestamp, zone)) }}
{%- endmacro %}

{#- timezone(zone, timestamptz) is the wall-clock time there (DuckDB's ICU time zones). -#}
{% macro duckdb__local_time(timestamp, zone) -%}
    timezone({{ segmart.sql_string(zone) }}, timezone('UTC', {{ timestamp }}))
{%- endmacro %}

{% macro postgres__local_time(timestamp, zone) -%}
    (({{ timestamp }}) at time zone 'UTC') at time zone {{ segmart.sql_string(zone) }}
{%- endmacro %}

{#- The day of a UTC timestamp in the project's time zone. -#}
{% macro local_date(timestamp) -%}
    cast({{ dbt.date_trunc('day', segmart.local_time(timestamp)) }} as date)
{%- endmacro %}

{#- The date of the Monday starting the (ISO) week of a timestamp. -#}
{% macro week_start(timestamp) -%}
    {{ return(adapter.dispatch('week_start', 'segmart')(timestamp)) }}
{%- endmacro %}

{% macro default__week_start(timestamp) -%}
    cast({{ dbt.date_trunc('week', timestamp) }} as date)
{%- endmacro %}

{#- Now, as a naive UTC timestamp, whatever the session's time zone. -#}
{% macro current_utc_timestamp() -%}
    {{ return(adapter.dispatch('current_utc_timestamp', 'segmart')()) }}
{%- endmacro %}

{#- DuckDB's profile and PostgreSQL's engine_setup pin the session to UTC. -#}
{% macro default__current_utc_timestamp() -%}
    cast(current_timestamp as timestamp)
{%- endmacro %}

{#- The incremental strategy a model asks for (delete+insert, append), as the engine names it:
    called in config(), at parse time. -#}
{% macro incremental_strategy(strategy) -%}
    {{ return(adapter.dispatch('incremental_strategy', 'segmart')(strategy)) }}
{%- endmacro %}

{% macro default__incremental_strategy(strategy) -%}
    {{ return(strategy) }}
{%- endmacro %}

{#- A query of no row, its columns typed ({name: SQL type}): what a union of nothing yields. -#}
{% macro empty_rows(columns) -%}
    select
    {%- for name, type in columns.items() %}
        cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    where false
{%- endmacro %}
