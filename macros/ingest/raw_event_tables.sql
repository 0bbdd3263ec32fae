{#- Raw events from warehouse tables instead of files (var segmart_source, docs/sources.md):

    json_table         a table a loader fills with raw messages (RudderStack, Fivetran, Airbyte,
                       Jitsu): one JSON column per message, or one column per message field;
    segment_warehouse  the schema Segment's warehouse destination writes a source into: tracks,
                       pages, screens, identifies, groups, aliases and one table per track event.

    Each row is rebuilt into its message's JSON text, so stg_events_landed parses it and applies
    every rule exactly as to a file's line. A table is a "file" (source_file: schema.table) and a
    row its "line": rows are landed once, in the order of the time the loader wrote them (var
    segmart_source_loaded_at), each run landing those written after the last landed one. -#}

{#- files, json_table or segment_warehouse (SEGMART_SOURCE); any other value is an error. -#}
{% macro raw_source() -%}
    {%- set kind = var('segmart_source') | string | trim -%}
    {%- if kind not in ['files', 'json_table', 'segment_warehouse'] -%}
        {{ segmart.raise_source_error(
            "SEGMART_SOURCE (var segmart_source) must be files, json_table or segment_warehouse,"
            ~ " not '" ~ kind ~ "'"
        ) }}
    {%- endif -%}
    {{ return(kind) }}
{%- endmacro %}

{#- A wrong source setting: the configuration error (never retried) naming it. -#}
{% macro raise_source_error(message) -%}
    {{ exceptions.raise_compiler_error(
        "segmart configuration error: " ~ message ~ " (docs/sources.md)"
    ) }}
{%- endmacro %}

{#- The raw rows from the source tables not landed yet (all of them when loaded_relation is
    none), as landed_raw_messages gives them: source_file, source_line, raw_message, read_error,
    source_loaded_at. A row without a load time cannot be placed in arrival order: it is not
    landed, and assert_raw_tables_reconcile reports it. -#}
{% macro table_raw_messages(loaded_relation) -%}
    {%- if not execute -%}
        {#- Parsing: the tables are looked at only when the model runs. -#}
        {%- set columns = segmart.raw_row_columns() -%}
        {%- do columns.update({'source_loaded_at': 'timestamp'}) -%}
        {{ segmart.empty_rows(columns) }}
    {%- else -%}
    {%- set tables = segmart.raw_source_tables() -%}
    {%- if loaded_relation is none -%}
        {%- do segmart.require_raw_table_rows(tables) -%}
    {%- endif -%}
    with landed_tables as (
        {{ segmart.landed_table_positions(loaded_relation) }}
    )
    {% for table in tables %}
    select
        {{ segmart.sql_string(table.name) }} as source_file,
        -- After the table's rows landed before, in load order (ties by content: the same rows
        -- get the same lines on a full refresh).
        coalesce(landed.lines, 0)
        + row_number() over (order by new_rows.source_loaded_at, new_rows.raw_message) as source_line,
        new_rows.raw_message,
        cast(null as {{ dbt.type_string() }}) as read_error,
        new_rows.source_loaded_at
    from (
        select
            {{ table.message }} as raw_message,
            {{ table.loaded_at }} as source_loaded_at
        from {{ table.relation }} as source_row
        where {{ table.loaded_at }} is not null
        {%- if table.where %}
            and {{ table.where }}
        {%- endif %}
    ) as new_rows
    left join landed_tables as landed on landed.source_file = {{ segmart.sql_string(table.name) }}
    where landed.loaded_until is null or new_rows.source_loaded_at > landed.loaded_until
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{#- Per source table landed before: its last load time and its number of rows (its last line). -#}
{% macro landed_table_positions(loaded_relation) -%}
    {%- if loaded_relation is none %}
    {{ segmart.empty_rows(
        {'source_file': dbt.type_string(), 'loaded_until': 'timestamp', 'lines': 'bigint'}
    ) }}
    {%- else %}
    select
        landed.source_file,
        max(landed.source_loaded_at) as loaded_until,
        max(landed.source_line) as lines
    from {{ loaded_relation }} as landed
    where landed.source_loaded_at is not null
    group by landed.source_file
    {%- endif %}
{%- endmacro %}

{#- On a full build, tables without a single row are the configuration error, never an empty
    success (as a file location without a file: require_raw_events.sql). -#}
{% macro require_raw_table_rows(tables) -%}
    {%- if not segmart.raw_events_required() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for table in tables -%}
        {%- if run_query('select 1 from ' ~ table.relation ~ ' limit 1').rows | length > 0 -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endfor -%}
    {{ segmart.raise_source_error(
        "no raw event in " ~ (tables | map(attribute='name') | join(', '))
        ~ " (SEGMART_SOURCE=" ~ segmart.raw_source() ~ "). Set SEGMART_ALLOW_EMPTY_EVENTS=1 to"
        ~ " build with none"
    ) }}
{%- endmacro %}

{#- The tables of the configured source, each a dict: name (schema.table, its source_file),
    relation, message (the SQL of a row's message JSON text, the row being source_row),
    loaded_at (the SQL of its load time, a UTC timestamp) and where (a condition on the rows
    read, or none). -#}
{% macro raw_source_tables() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if segmart.raw_source() == 'json_table' -%}
        {{ return([segmart.json_table_source()]) }}
    {%- endif -%}
    {{ return(segmart.segment_warehouse_sources()) }}
{%- endmacro %}

{#- SEGMART_SOURCE_TABLE (schema.table): one JSON column per message when
    SEGMART_SOURCE_JSON_COLUMN names it, else one column per message field (messageId, type,
    anonymousId, ...; columns named otherwise are fields segmart does not read). -#}
{% macro json_table_source() -%}
    {%- set name = var('segmart_source_table') | string | trim -%}
    {%- set parts = name.split('.') -%}
    {%- if parts | length != 2 or '' in parts -%}
        {{ segmart.raise_source_error(
            "SEGMART_SOURCE_TABLE (var segmart_source_table) must name the raw events table as"
            ~ " schema.table, not '" ~ name ~ "'"
        ) }}
    {%- endif -%}
    {%- set relation = segmart.source_relation(parts[0], parts[1]) -%}
    {%- if relation is none -%}
        {{ segmart.raise_source_error(
            "SEGMART_SOURCE_TABLE=" ~ name ~ ": no such table in " ~ target.database
        ) }}
    {%- endif -%}
    {%- set columns = segmart.source_columns(relation, name) -%}
    {%- set json_column = var('segmart_source_json_column') | string | trim -%}
    {%- if json_column -%}
        {%- if json_column | lower not in columns -%}
            {{ segmart.raise_source_error(
                "SEGMART_SOURCE_JSON_COLUMN=" ~ json_column ~ ": " ~ name ~ " has no such column"
                ~ " (it has " ~ columns.keys() | join(', ') ~ ")"
            ) }}
        {%- endif -%}
        {%- set message = 'cast(' ~ segmart.source_value(columns[json_column | lower]) ~ ' as '
            ~ dbt.type_string() ~ ')' -%}
    {%- else -%}
        {%- set fields = {} -%}
        {%- for column in columns.values() -%}
            {%- do fields.update({column.name: segmart.source_value(column)}) -%}
        {%- endfor -%}
        {%- set message = segmart.json_message_text(fields) -%}
    {%- endif -%}
    {{ return({
        'name': name, 'relation': relation, 'message': message,
        'loaded_at': segmart.source_loaded_at(columns, name), 'where': none,
    }) }}
{%- endmacro %}

{#- The relation schema.identifier of the target database, or none. -#}
{% macro source_relation(schema, identifier) -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{%- endmacro %}

{#- A table's columns by lower-cased name. -#}
{% macro source_columns(relation, name) -%}
    {%- set columns = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do columns.update({column.name | lower: column}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The SQL of a row's load time: the column SEGMART_SOURCE_LOADED_AT names, a timestamp. -#}
{% macro source_loaded_at(columns, name) -%}
    {%- set loaded_at = var('segmart_source_loaded_at') | string | trim -%}
    {%- set column = columns.get(loaded_at | lower) -%}
    {%- if column is none or not segmart.is_timestamp(column) -%}
        {{ segmart.raise_source_error(
            name ~ " needs the time its loader wrote each row, a timestamp column named by"
            ~ " SEGMART_SOURCE_LOADED_AT (var segmart_source_loaded_at, now '" ~ loaded_at ~ "'): "
            ~ ("it has no such column" if column is none else "it is " ~ column.dtype)
        ) }}
    {%- endif -%}
    {{ return(segmart.source_utc_timestamp(column)) }}
{%- endmacro %}

{#- A column of source_row, quoted. -#}
{% macro source_column_sql(column) -%}
    {{ return('source_row.' ~ adapter.quote(column.name)) }}
{%- endmacro %}

{#- A column's value in a message: times as ISO-8601 UTC text, as Segment writes them. -#}
{% macro source_value(column) -%}
    {%- if segmart.is_timestamp(column) -%}
        {{ return(segmart.iso_utc_text(segmart.source_utc_timestamp(column))) }}
    {%- endif -%}
    {{ return(segmart.source_column_sql(column)) }}
{%- endmacro %}

{% macro is_timestamp(column) -%}
    {{ return('timestamp' in column.dtype | lower) }}
{%- endmacro %}

{#- A timestamp column of source_row as a UTC timestamp (utc_timestamp). -#}
{% macro source_utc_timestamp(column) -%}
    {%- set dtype = column.dtype | lower -%}
    {%- set has_time_zone = 'with time zone' in dtype or dtype == 'timestamptz' -%}
    {{ return(segmart.utc_timestamp(segmart.source_column_sql(column), has_time_zone)) }}
{%- endmacro %}

{#- The JSON text of a message from fields: {key: SQL value, or a dict of the same for a nested
    object}. Absent (null) values and empty objects are left out, as a message leaves out what it
    does not have. -#}
{% macro json_message_text(fields) -%}
    {{ return('cast(' ~ segmart.json_object_sql(fields) ~ ' as ' ~ dbt.type_string() ~ ')') }}
{%- endmacro %}

{#- The SQL of a JSON object from fields (json_message_text); null when nothing is in it. -#}
{% macro json_object_sql(fields) -%}
    {%- set pairs = [] -%}
    {%- for key, value in fields.items() -%}
        {%- do pairs.append([
            segmart.sql_string(key),
            segmart.json_object_sql(value) if value is mapping else value,
        ]) -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('json_object_sql', 'segmart')(pairs)) }}
{%- endmacro %}

{% macro default__json_object_sql(pairs) -%}
    {{ segmart.raise_no_table_source() }}
{%- endmacro %}

{#- Engines beside DuckDB and PostgreSQL read raw event files only. -#}
{% macro raise_no_table_source() -%}
    {{ segmart.raise_source_error(
        "raw event tables are read on DuckDB and PostgreSQL; " ~ target.type ~ " reads raw event"
        ~ " files (SEGMART_SOURCE=files)"
    ) }}
{%- endmacro %}

{#- A JSON merge patch (RFC 7396) onto {} drops null members. -#}
{% macro duckdb__json_object_sql(pairs) -%}
    {%- set arguments = [] -%}
    {%- for key, value in pairs -%}
        {%- do arguments.extend([key, value]) -%}
    {%- endfor -%}
    {{ return(
        "nullif(json_merge_patch('{}', json_object(" ~ arguments | join(', ') ~ ")), '{}')"
    ) }}
{%- endmacro %}

{#- jsonb_build_object takes at most 100 arguments: objects of 50 pairs, concatenated. -#}
{% macro postgres__json_object_sql(pairs) -%}
    {%- set objects = [] -%}
    {%- for chunk in pairs | batch(50) -%}
        {%- set arguments = [] -%}
        {%- for key, value in chunk -%}
            {%- do arguments.extend([key, value]) -%}
        {%- endfor -%}
        {%- do objects.append('jsonb_build_object(' ~ arguments | join(', ') ~ ')') -%}
    {%- endfor -%}
    {{ return(
        "nullif(jsonb_strip_nulls(" ~ (objects | join(' || ') if objects else "'{}'::jsonb")
        ~ "), '{}'::jsonb)"
    ) }}
{%- endmacro %}

{#- A timestamp column as a UTC timestamp without time zone (naive ones are UTC already). -#}
{% macro utc_timestamp(sql, has_time_zone) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'segmart')(sql, has_time_zone)) }}
{%- endmacro %}

{% macro default__utc_timestamp(sql, has_time_zone) -%}
    {{ return('(' ~ sql ~ " at time zone 'UTC')" if has_time_zone else sql) }}
{%- endmacro %}

{% macro duckdb__utc_timestamp(sql, has_time_zone) -%}
    {{ return("timezone('UTC', " ~ sql ~ ")" if has_time_zone else sql) }}
{%- endmacro %}

{#- A UTC timestamp as ISO-8601 text with microseconds and Z. -#}
{% macro iso_utc_text(sql) -%}
    {{ return(adapter.dispatch('iso_utc_text', 'segmart')(sql)) }}
{%- endmacro %}

{% macro default__iso_utc_text(sql) -%}
    {{ segmart.raise_no_table_source() }}
{%- endmacro %}

{% macro duckdb__iso_utc_text(sql) -%}
    {{ return('strftime(' ~ sql ~ ", '%Y-%m-%dT%H:%M:%S.%fZ')") }}
{%- endmacro %}

{% macro postgres__iso_utc_text(sql) -%}
    {{ return('to_char(' ~ sql ~ ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')") }}
{%- endmacro %}
