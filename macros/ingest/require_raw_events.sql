{#- A wrong SEGMART_EVENTS is an error, never an empty success: without this a location that does
    not exist lists no files, and a full refresh replaces every table with an empty one.

    The rule: a build fails when there is nothing at all to read, i.e. on a full build (the first,
    or --full-refresh) when no raw events are found, and on an incremental run when the location
    holds no event file at all (loaded before or not). An incremental run that finds no NEW file
    is normal. SEGMART_ALLOW_EMPTY_EVENTS=1 (var segmart_allow_empty_events) allows an empty
    build, e.g. a first build before any event arrived. -#}

{#- Whether the rule applies: to commands that write tables (build, run), unless an empty build
    is allowed (the var is 1; segmart.settings reads the variable alike). Commands that write
    nothing (compile, show, sqlfluff's dbt templater, which lints with no events at hand) may
    render an empty location. -#}
{% macro raw_events_required() -%}
    {{ return(flags.WHICH in ['build', 'run'] and not segmart.empty_raw_events_allowed()) }}
{%- endmacro %}

{#- Whether an empty build is allowed: SEGMART_ALLOW_EMPTY_EVENTS=1. -#}
{% macro empty_raw_events_allowed() -%}
    {{ return((var('segmart_allow_empty_events') | string | trim) == '1') }}
{%- endmacro %}

{#- Raise the configuration error naming the location (its words: dbt_project.yml, var
    segmart_no_raw_events_error). -#}
{% macro raise_no_raw_events(location) -%}
    {{ exceptions.raise_compiler_error(
        var('segmart_no_raw_events_error') | replace('{location}', location)
    ) }}
{%- endmacro %}

{#- For engines that list the files (DuckDB, Spark): `found` is raw_event_files' result for
    loaded_relation. When it holds no file, the location is listed again without excluding the
    loaded files (only then, so a normal run lists once). -#}
{% macro require_raw_event_files(location, found, loaded_relation) -%}
    {%- if found['json'] or found['parquet'] or not segmart.raw_events_required() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if loaded_relation is not none -%}
        {%- for row in run_query(segmart.raw_event_file_listing(location, none)) -%}
            {%- if segmart.raw_event_kind(row[0]) is not none -%}
                {{ return(none) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do segmart.raise_no_raw_events(location) -%}
{%- endmacro %}
