{#- Who may read a published table (marts, segments, reports: a post-hook in dbt_project.yml)
    where the engine has roles. On PostgreSQL the BI role segmart_reader may select every column
    but the personal data the project declares (var segmart_personal_data_columns), and nothing
    of a private segment (visibility: private). Run inside the model's transaction, so a rebuilt
    table is never readable with wider access than this. Other engines have no BI role. -#}
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
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
