{#- Who may read a published table (marts, segments, reports: a post-hook in dbt_project.yml)
    where the engine has roles. On PostgreSQL the BI role segmart_reader may select every column
    but the personal data the project declares (var segmart_personal_data_columns), and nothing
    of a private segment (visibility: private): not its table, and not its rows in the shared
    tables (row security; the views over them check it as the reader). Run inside the model's
    transaction, so a rebuilt table is never readable with wider access than this. Other
    engines have no BI role. -#}
{% macro grant_bi_reader() -%}
    {{ return(adapter.dispatch('grant_bi_reader', 'segmart')()) }}
{%- endmacro %}

{% macro default__grant_bi_reader() -%}
{%- endmacro %}

{% macro postgres__grant_bi_reader() -%}
    {%- if execute -%}
        {%- set personal = var('segmart_personal_data_columns') -%}
        {%- set readable = [] -%}
        {%- for column in adapter.get_columns_in_relation(this) if column.name not in personal -%}
            {%- do readable.append(adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- set private = (config.get('meta') or {}).get('visibility') == 'private' -%}
        revoke all on {{ this }} from segmart_reader;
        {%- if readable and not private %}
        grant select ({{ readable | join(', ') }}) on {{ this }} to segmart_reader;
        {{ segmart.postgres_hide_private_rows(readable) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- A shared table's rows of private segments, by its segment-name columns, are no reader's. -#}
{% macro postgres_hide_private_rows(columns) -%}
    {%- set named = [] -%}
    {%- for column in ['segment_name', 'other_segment_name'] if adapter.quote(column) in columns -%}
        {%- do named.append(column) -%}
    {%- endfor -%}
    {%- if named and config.get('materialized') == 'view' %}
        alter view {{ this }} set (security_invoker = true);
    {%- elif named -%}
        {%- set private = [] -%}
        {%- for node in graph.nodes.values()
            if (node.config.meta or {}).get('visibility') == 'private' -%}
            {%- do private.append(node.alias) -%}
        {%- endfor %}
        alter table {{ this }} enable row level security;
        drop policy if exists segmart_reader_public on {{ this }};
        create policy segmart_reader_public on {{ this }} for select to segmart_reader using (
            {%- for column in named %}
            {{ 'and ' if not loop.first }}not coalesce({{ segmart.in_values(column, private) }}, false)
            {%- endfor %}
        );
    {%- endif -%}
{%- endmacro %}
