{#- Raw Segment events arrive as immutable files: newline-delimited JSON (optionally gzipped) and/or
    Parquet. SEGMART_EVENTS names one file, a folder (searched recursively) or a glob.

    raw_event_files() lists the files, at run time, so an incremental run can read only the files
    it has not loaded yet (selection by arrival, never by event time: a late event is still read).
-#}

{#- The glob to list: the location itself when it names a file or is a glob, else everything
    below the folder. -#}
{% macro raw_event_glob(location) -%}
    {%- set location = location | trim -%}
    {%- if segmart.raw_event_kind(location) is not none
        or '*' in location or '?' in location or '[' in location -%}
        {{ return(location) }}
    {%- endif -%}
    {{ return(location.rstrip('/') ~ '/**/*') }}
{%- endmacro %}

{#- 'parquet', 'json', or none for a file segmart does not read (var segmart_raw_file_suffixes). -#}
{% macro raw_event_kind(path) -%}
    {%- set lowered = path | lower -%}
    {%- for kind, suffixes in var('segmart_raw_file_suffixes').items() -%}
        {%- for suffix in suffixes if lowered.endswith(suffix) -%}
            {{ return(kind) }}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- {'json': [files], 'parquet': [files]}: files at the location, minus those already recorded in
    loaded_relation.source_file (when given), and only those the ledger lets land (when given:
    landable_raw_files). Sorted, so reads are reproducible. Files of another kind are skipped
    with a warning naming them, never silently. -#}
{% macro raw_event_files(location, loaded_relation=none, ledger=none) -%}
    {%- set found = {'json': [], 'parquet': []} -%}
    {%- if not execute -%}
        {{ return(found) }}
    {%- endif -%}
    {%- if ledger is not none and load_relation(ledger) is none -%}
        {#- Commands that write nothing (compile, show; sqlfluff's lint target, on an empty
            in-memory database) render the SQL with nothing to list. -#}
        {%- if target.name == 'lint' or flags.WHICH not in ['build', 'run'] -%}
            {{ return(found) }}
        {%- endif -%}
        {%- do exceptions.raise_compiler_error(
            "segmart: the raw file ledger " ~ ledger ~ " is not built yet: build it first"
            ~ " (`dbt build` and `segmart build` do), so raw files are inspected before they land"
        ) -%}
    {%- endif -%}
    {%- set skipped = [] -%}
    {%- for row in run_query(segmart.raw_event_file_listing(location, loaded_relation, ledger)) -%}
        {%- set kind = segmart.raw_event_kind(row[0]) -%}
        {%- if kind is none -%}
            {%- do skipped.append(row[0]) -%}
        {%- else -%}
            {%- do found[kind].append(row[0]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if skipped -%}
        {%- do exceptions.warn(
            "segmart: skipped " ~ skipped | length ~ " file(s) at " ~ location
            ~ " that are neither JSON lines nor Parquet: " ~ skipped[:5] | join(', ')
        ) -%}
    {%- endif -%}
    {%- do segmart.require_raw_event_files(location, found, loaded_relation) -%}
    {{ return(found) }}
{%- endmacro %}

{#- A query of one column, the name of each file at the location not recorded in
    loaded_relation.source_file (every file when it is none) and landable by the ledger (when
    given), in order. -#}
{% macro raw_event_file_listing(location, loaded_relation, ledger=none) -%}
    {{ return(adapter.dispatch('raw_event_file_listing', 'segmart')(location, loaded_relation, ledger)) }}
{%- endmacro %}

{#- Engines that cannot read files never list them: raw.segment_events is filled for them before
    dbt builds (segmart/targets.py: segmart's loader on PostgreSQL, the load_raw_events operation
    on Snowflake and BigQuery). -#}
{% macro default__raw_event_file_listing(location, loaded_relation, ledger) -%}
    {{ exceptions.raise_compiler_error(
        "segmart: " ~ target.type ~ " does not read raw event files; `segmart build` loads them"
        ~ " into raw.segment_events first (docs/engines.md)"
    ) }}
{%- endmacro %}

{#- Hidden files (.gitkeep, .DS_Store, an uploader's partial .name.part) are no events and
    are not listed, as Spark's file sources do not list them. -#}
{% macro duckdb__raw_event_file_listing(location, loaded_relation, ledger) -%}
    select file from glob({{ segmart.sql_string(segmart.raw_event_glob(location)) }})
    where not regexp_matches(file, '/[.][^/]*$')
    {%- if loaded_relation is not none %}
        and file not in (select distinct source_file from {{ loaded_relation }})
    {%- endif %}
    {%- if ledger is not none %}
        and file in ({{ segmart.landable_raw_files(ledger) }})
    {%- endif %}
    order by file
{%- endmacro %}

{#- One row per raw line / Parquet row: source_file, source_line (1-based), raw_message (the
    message as JSON text, exactly as received for JSONL) and read_error (null, or the reason a
    line could not be read: its row is a reject). Invalid JSON is kept, to be rejected. -#}
{% macro read_raw_event_files(files) -%}
    {%- set readers = [] -%}
    {%- set with_bad_lines = segmart.raw_files_with_bad_lines(files['json']) -%}
    {%- set clean_files = files['json'] | reject('in', with_bad_lines) | list -%}
    {%- set parallel = segmart.parse_in_parallel(files['json']) -%}
    {%- if clean_files -%}
        {%- do readers.append(segmart.read_json_lines(clean_files, parallel=parallel)) -%}
    {%- endif -%}
    {%- if with_bad_lines -%}
        {%- do readers.append(segmart.read_json_lines(
            with_bad_lines, segmart.ledger_bad_lines(with_bad_lines), parallel=parallel
        )) -%}
    {%- endif -%}
    {%- if files['parquet'] -%}
        {%- do readers.append(segmart.read_parquet_rows(files['parquet'])) -%}
    {%- endif -%}
    {{ segmart.union_raw_readers(readers, var('segmart_events')) }}
{%- endmacro %}

{#- The rows of Parquet files, each as the JSON of its columns (what PostgreSQL's loader copies
    too: segmart/raw_load.py renders this macro). -#}
{% macro read_parquet_rows(files) -%}
    select
        filename as source_file,
        file_row_number + 1 as source_line,
        cast(to_json(struct_pack(*columns(* exclude (filename, file_row_number)))) as varchar)
            as raw_message,
        cast(null as varchar) as read_error
    from read_parquet(
        [{{ segmart.sql_string_list(files) }}],
        union_by_name = true, filename = true, file_row_number = true
    )
{%- endmacro %}

{#- The lines of JSON-lines files. bad_lines (a query of source_file, line, reason, text,
    good_lines_before, bad_rank; none when the files have no bad line) lists the lines the
    inspection found unreadable (segmart/raw_inspection.py): the reader skips them, so each line
    after one is renumbered by the bad lines before it, and each becomes a row of its own with
    its reason. Files without bad lines are read strictly: a line the inspection passed that
    the reader cannot read fails the build rather than disappear. parallel: parse_in_parallel of
    the batch. -#}
{% macro read_json_lines(files, bad_lines=none, parallel=true) -%}
    select * from (
    -- Numbering a scan keeps it on one thread (row_number in scan order). Materialized, the
    -- lines are collected first and the parsing that follows runs on every thread, but their
    -- text is held (spilled to temporary disk past the memory limit); so only a batch of at most
    -- var segmart_parallel_parse_max_lines lines is (docs/operations.md).
    with numbered_lines as {{ '' if parallel else 'not ' }}materialized (
        {%- for batch in files | batch(250) %}
        select * from (
            {%- for file in batch %}
            select
                {{ segmart.sql_string(file) }} as source_file,
                -- One scan per file, in the file's order: its nth row is its nth line read.
                -- (Numbering one scan of every file took a window over all their text.)
                row_number() over () as read_rank,
                raw_line as raw_message
            from {{ segmart.read_json_file_lines(file, skip_bad_lines=bad_lines is not none) }}
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- endfor %}
        ) as lines_of_batch
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )

    select
        read_lines.source_file,
        read_lines.read_rank {%- if bad_lines is not none %} + coalesce(skipped.bad_rank, 0){% endif %}
            as source_line,
        read_lines.raw_message,
        cast(null as varchar) as read_error
    from numbered_lines as read_lines
    {%- if bad_lines is not none %}
    -- The last bad line before each read line: the bad lines before it are its bad_rank.
    asof left join ({{ bad_lines }}) as skipped
        on read_lines.source_file = skipped.source_file
        and read_lines.read_rank > skipped.good_lines_before
    {%- endif %}
    -- Blank lines are no rows (null, or only spaces). A line starting with { is not blank, so
    -- only the others are trimmed (trimming every line is costly: docs/benchmarks.md).
    where starts_with(read_lines.raw_message, '{') or trim(read_lines.raw_message) <> ''
    {%- if bad_lines is not none %}
    union all
    select
        source_file,
        line as source_line,
        text as raw_message,
        reason as read_error
    from ({{ bad_lines }}) as bad
    {%- endif %}
    ) as json_lines
{%- endmacro %}

{#- The lines of one JSON-lines file (gzipped or not) as rows of one VARCHAR column raw_line, with
    the delimiter \x01, which cannot occur in valid JSON: a line that is not JSON is still read,
    to be rejected, rather than failing the load. skip_bad_lines: skip the lines that cannot be
    read (invalid UTF-8, longer than var segmart_max_line_bytes) instead of failing. -#}
{% macro read_json_file_lines(file, skip_bad_lines=false) -%}
    read_csv(
                {{ segmart.sql_string(file) }},
                columns = {'raw_line': 'VARCHAR'},
                delim = chr(1), quote = '', escape = '', header = false,
                auto_detect = false, strict_mode = false,
                max_line_size = {{ var('segmart_max_line_bytes') }}, ignore_errors = {{ skip_bad_lines | lower }}
            )
{%- endmacro %}

{#- Whether the lines of the JSON-lines `files` are few enough to be collected and parsed on every
    thread: the ledger's physical lines of their newest versions, at most var
    segmart_parallel_parse_max_lines. Larger batches (a first build of a large backlog) stream
    through one thread instead, so the temporary disk a build needs does not grow with the
    batch. -#}
{% macro parse_in_parallel(files) -%}
    {%- if not files or not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        select coalesce(sum(physical_lines), 0)
        from ({{ segmart.newest_ledger_rows(files) }}) as newest
    {%- endset -%}
    {%- set lines = run_query(query).columns[0].values()[0] -%}
    {{ return(lines <= var('segmart_parallel_parse_max_lines') | int) }}
{%- endmacro %}

{#- The JSON-lines files among `files` whose newest ledger version has bad lines. -#}
{% macro raw_files_with_bad_lines(files) -%}
    {%- if not files or not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select source_file
        from ({{ segmart.newest_ledger_rows(files) }}) as newest
        where bad_lines is not null
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- The bad lines the ledger recorded for `files` (its newest versions), one row each: source_file,
    line, reason, text, and for read_json_lines good_lines_before (the readable lines before it)
    and bad_rank (1 for a file's first bad line, 2 for the next, ...). -#}
{% macro ledger_bad_lines(files) -%}
    select
        *,
        line - bad_rank as good_lines_before
    from (
        select
            source_file,
            bad_line.line,
            bad_line.reason,
            bad_line.text,
            row_number() over (partition by source_file order by bad_line.line) as bad_rank
        from (
            select
                newest.source_file,
                unnest(from_json(
                    newest.bad_lines,
                    '[{"line": "BIGINT", "reason": "VARCHAR", "text": "VARCHAR"}]'
                )) as bad_line
            from ({{ segmart.newest_ledger_rows(files) }}) as newest
        ) as listed
    ) as ranked
{%- endmacro %}

{#- The newest ledger row of each of `files`. -#}
{% macro newest_ledger_rows(files) -%}
    select *
    from ({{ segmart.newest_raw_file_versions(segmart.raw_file_ledger()) }}) as newest
    where newest.source_file in ({{ segmart.sql_string_list(files) }})
{%- endmacro %}

{#- A raw row's columns: where it came from, its text, and why it could not be read (if so). -#}
{% macro raw_row_columns() -%}
    {{ return({
        'source_file': dbt.type_string(), 'source_line': 'bigint',
        'raw_message': dbt.type_string(), 'read_error': dbt.type_string(),
    }) }}
{%- endmacro %}

{#- The rows of every reader (a query of source_file, source_line, raw_message, read_error), one
    after the other; none, with the columns typed, when there is no new file at the location. -#}
{% macro union_raw_readers(readers, location) -%}
    {%- if not readers -%}
        {%- do log("segmart: no new raw event files at " ~ location, info=true) -%}
        {{ segmart.empty_rows(segmart.raw_row_columns()) }}
    {%- else -%}
        {{ readers | join('\n    union all\n') }}
    {%- endif -%}
{%- endmacro %}

{#- The raw rows stg_events_landed has not landed yet (all of them when loaded_relation is none):
    source_file, source_line, raw_message, read_error, source_loaded_at. DuckDB reads the files
    themselves; engines that cannot read files read the table segmart's loader fills
    (segmart/raw_load.py, README "Other engines"), which holds each file's lines exactly as DuckDB
    reads them. Raw event tables (SEGMART_SOURCE) are read by table_raw_messages. -#}
{% macro landed_raw_messages(loaded_relation=none) -%}
    {%- if segmart.raw_source() != 'files' -%}
        {{ return(segmart.table_raw_messages(loaded_relation)) }}
    {%- endif -%}
    select
        file_rows.*,
        -- A table's rows carry the time their loader wrote them (raw_event_tables.sql).
        cast(null as timestamp) as source_loaded_at
    from ({{ adapter.dispatch('landed_raw_messages', 'segmart')(loaded_relation) }}) as file_rows
{%- endmacro %}

{#- The ledger of raw files: only the files it lets land are read. -#}
{% macro raw_file_ledger() -%}
    {{ return(ref('stg_raw_file_ledger')) }}
{%- endmacro %}

{% macro duckdb__landed_raw_messages(loaded_relation) -%}
    {{ segmart.read_raw_event_files(segmart.raw_event_files(
        var('segmart_events'), loaded_relation=loaded_relation, ledger=segmart.raw_file_ledger()
    )) }}
{%- endmacro %}

{#- The loader's table: raw.segment_events (segmart.raw_load.RAW_TABLE). -#}
{% macro loaded_raw_events_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema='raw', identifier='segment_events'
    )) }}
{%- endmacro %}

{% macro default__landed_raw_messages(loaded_relation) -%}
    select
        raw_events.source_file,
        raw_events.source_line,
        raw_events.raw_message,
        {{ segmart.loaded_read_error('raw_events') }} as read_error
    from {{ segmart.loaded_raw_events_relation() }} as raw_events
    {%- if loaded_relation is not none %}
    where raw_events.source_file not in (
        select distinct landed.source_file from {{ loaded_relation }} as landed
    )
        and raw_events.source_file in ({{ segmart.landable_raw_files(segmart.raw_file_ledger()) }})
    {%- else %}
    where raw_events.source_file in ({{ segmart.landable_raw_files(segmart.raw_file_ledger()) }})
    {%- endif %}
{%- endmacro %}

{#- A loaded raw row's read_error: segmart's PostgreSQL loader records bad lines
    (segmart/raw_load.py); Snowflake's and BigQuery's server-side loads fail on them instead. -#}
{% macro loaded_read_error(alias) -%}
    {{ return(adapter.dispatch('loaded_read_error', 'segmart')(alias)) }}
{%- endmacro %}

{% macro default__loaded_read_error(alias) -%}
    cast(null as {{ dbt.type_string() }})
{%- endmacro %}

{% macro postgres__loaded_read_error(alias) -%}
    {{ alias }}.read_error
{%- endmacro %}
