{#- Run at the start of every dbt invocation (on-run-start): create what an engine lacks of the
    functions segmart's SQL uses (see cross_engine.sql for where each is called). DuckDB has
    them all built in. -#}
{% macro engine_setup() -%}
    {{ return(adapter.dispatch('engine_setup', 'segmart')()) }}
{%- endmacro %}

{% macro default__engine_setup() -%}
    select 1
{%- endmacro %}

{% macro postgres__engine_setup() -%}
    {%- set schema = target.schema -%}
    -- Naive timestamps (raw text without an offset, current_timestamp as timestamp) are UTC:
    -- refuse a session in another zone rather than shift every event silently.
    do $fn$
    begin
        if current_setting('TimeZone') not in ('UTC', 'Etc/UTC') then
            raise exception 'segmart: set the database time zone to UTC '
                '(alter database % set timezone to ''UTC''), not %',
                current_database(), current_setting('TimeZone');
        end if;
    end
    $fn$;

    create schema if not exists {{ schema }};

    -- The message as jsonb when the text is a JSON object, else null (invalid JSON included).
    create or replace function {{ schema }}.segmart_try_json_object(value text) returns jsonb
    language plpgsql immutable as $fn$
    declare parsed jsonb;
    begin
        parsed := value::jsonb;
        if jsonb_typeof(parsed) = 'object' then
            return parsed;
        end if;
        return null;
    exception when others then
        return null;
    end
    $fn$;

    -- ISO-8601 text only (PostgreSQL alone would also read 'now', 'today', 'May 1 2024').
    create or replace function {{ schema }}.segmart_try_timestamptz(value text)
    returns timestamptz language plpgsql stable as $fn$
    begin
        if value !~ '^\s*\d{4}-\d{2}-\d{2}' then
            return null;
        end if;
        return value::timestamptz;
    exception when others then
        return null;
    end
    $fn$;

    create or replace function {{ schema }}.segmart_try_timestamp(value text) returns timestamp
    language plpgsql stable as $fn$
    begin
        if value !~ '^\s*\d{4}-\d{2}-\d{2}' then
            return null;
        end if;
        return value::timestamp;
    exception when others then
        return null;
    end
    $fn$;

    create or replace function {{ schema }}.segmart_try_double(value text)
    returns double precision language plpgsql immutable as $fn$
    begin
        return value::double precision;
    exception when others then
        return null;
    end
    $fn$;

    -- Decimal text rounds to the nearest integer, as DuckDB's try_cast does ('12.5' -> 13).
    create or replace function {{ schema }}.segmart_try_bigint(value text) returns bigint
    language plpgsql immutable as $fn$
    begin
        begin
            return value::bigint;
        exception when others then
            return round(value::numeric)::bigint;
        end;
    exception when others then
        return null;
    end
    $fn$;

    create or replace function {{ schema }}.segmart_try_boolean(value text) returns boolean
    language plpgsql immutable as $fn$
    begin
        return value::boolean;
    exception when others then
        return null;
    end
    $fn$;

    -- last_value(... ignore nulls): a strict step skips nulls and keeps the latest value.
    create or replace function {{ schema }}.segmart_last_non_null_step(
        kept anyelement, value anyelement
    ) returns anyelement language sql immutable strict as 'select $2';

    create or replace aggregate {{ schema }}.segmart_last_non_null(anyelement) (
        sfunc = {{ schema }}.segmart_last_non_null_step, stype = anyelement
    );

    -- The read-only role BI tools connect through (granted select by the models' grants).
    do $fn$
    begin
        if not exists (select from pg_roles where rolname = 'segmart_reader') then
            create role segmart_reader nologin;
        end if;
    end
    $fn$;
{%- endmacro %}

{#- on-run-end: dbt grants select on each relation; a role also needs usage of its schema. -#}
{% macro engine_grant_schemas() -%}
    {{ return(adapter.dispatch('engine_grant_schemas', 'segmart')()) }}
{%- endmacro %}

{% macro default__engine_grant_schemas() -%}
    select 1
{%- endmacro %}

{% macro postgres__engine_grant_schemas() -%}
    do $fn$
    declare layer text;
    begin
        foreach layer in array array['marts', 'segments', 'reports'] loop
            if exists (select from pg_namespace where nspname = layer) then
                execute format('grant usage on schema %I to segmart_reader', layer);
            end if;
        end loop;
    end
    $fn$
{%- endmacro %}
