{#- `segmart forget` (dbt run-operation forget): a person asks to be forgotten (GDPR, CCPA).
    The request is the JSON in SEGMART_FORGET_REQUEST ({"user_ids": [], "anonymous_ids": [],
    "emails": []}), never a dbt argument: dbt writes its arguments to logs/dbt.log and
    target/run_results.json. Says what it removes from where; changes nothing unless confirm.

    1. Every identity linked to the request (two hops through the messages that carry a user id,
       an anonymous id or a traits email together) joins privacy.suppressed_identities, which
       landing reads: their rows never land again, on any load or full refresh.
    2. Their rows leave every table dbt built: deleted, except in stg_events_landed, where they
       become 'suppressed' rejects holding only file, line and load, so the count of raw rows
       still reconciles with the files (docs/rules.md). Views follow their tables. A segment
       list (a seed) that names them is the team's file: it is named, to be edited. -#}
{% macro forget(confirm=false) %}
    {%- if target.type == 'spark' -%}
        {{ exceptions.raise_compiler_error(
            "segmart forget deletes rows, which Spark's Parquet tables cannot (docs/security.md)"
        ) }}
    {%- endif -%}
    {%- set suppressed = segmart.built_relation(ref('suppressed_identities')) -%}
    {%- if suppressed is none -%}
        {{ exceptions.raise_compiler_error(
            "segmart forget: nothing built yet to forget from (" ~ ref('suppressed_identities')
            ~ " does not exist): run segmart build first"
        ) }}
    {%- endif -%}
    {%- set request = segmart.forget_request() -%}
    {%- set identities = segmart.linked_identities(request) -%}
    {%- set counted = [] -%}
    {%- for kind, values in identities.items() -%}
        {%- do counted.append(values | length ~ ' ' ~ kind) -%}
    {%- endfor -%}
    {{ print("segmart: " ~ ("forgetting" if confirm else "would forget") ~ " "
        ~ counted | join(', ') ~ " (the request and the identities linked to it)") }}
    {%- for node in graph.nodes.values() if node.resource_type in ['model', 'seed'] -%}
        {%- set relation = segmart.built_relation(node) -%}
        {%- if relation is not none and not relation.is_view -%}
            {%- set condition = segmart.identity_condition(relation, identities) -%}
            {%- if condition -%}
                {%- set rows = run_query("select count(*) from " ~ relation ~ " where "
                    ~ condition).columns[0].values()[0] -%}
                {%- if rows > 0 -%}
                    {%- if confirm -%}
                        {%- call statement('forget_rows', auto_begin=true) -%}
                            {{ segmart.forget_rows(relation, node.name, condition) }}
                        {%- endcall -%}
                    {%- endif -%}
                    {%- set done = (
                        ('became' if confirm else 'would become') ~ ' suppressed rejects'
                        if node.name == 'stg_events_landed'
                        else ('deleted' if confirm else 'to delete')
                    ) -%}
                    {{ print("  " ~ relation.schema ~ "." ~ relation.identifier ~ ": " ~ rows
                        ~ " rows " ~ done) }}
                    {%- if node.resource_type == 'seed' %}
                    {{ print("  segmart: " ~ node.original_file_path ~ " names them and the next"
                        ~ " build loads it again: remove them from that file") }}
                    {%- endif -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if confirm -%}
        {%- call statement('suppress', auto_begin=true) -%}
            {{ segmart.suppress_identities(suppressed, identities, request) }}
        {%- endcall -%}
        {#- run-operation never commits on its own: all of it, or none. (DuckDB's freed blocks
            keep deleted values: `segmart forget` then writes the file anew.) -#}
        {%- do adapter.commit() -%}
    {%- endif -%}
{% endmacro %}

{#- The request: lists of user ids, anonymous ids and emails (emails compared in lower case). -#}
{% macro forget_request() %}
    {%- set request = fromjson(env_var('SEGMART_FORGET_REQUEST', '{}')) -%}
    {%- set identities = {
        'user_id': request.get('user_ids', []),
        'anonymous_id': request.get('anonymous_ids', []),
        'email': request.get('emails', []) | map('lower') | list,
    } -%}
    {%- if not (identities.values() | sum(start=[])) -%}
        {{ exceptions.raise_compiler_error(
            "segmart forget: name someone (--user-id, --anonymous-id or --email)"
        ) }}
    {%- endif -%}
    {{ return(identities) }}
{% endmacro %}

{#- The request and every identity seen on a message with one of it, twice over: a user's
    anonymous ids, and the users and emails seen on those. -#}
{% macro linked_identities(identities) %}
    {%- set events = segmart.built_relation(ref('stg_events')) -%}
    {%- if events is none -%}
        {{ return(identities) }}
    {%- endif -%}
    {%- set email = 'lower(' ~ segmart.json_text('traits', '$.email') ~ ')' -%}
    {#- A namespace: a plain set inside a loop is gone after it. -#}
    {%- set found = namespace(identities=identities) -%}
    {%- for hop in range(2) -%}
        {%- set known = found.identities -%}
        {%- set linked = run_query(
            "select distinct user_id, anonymous_id, " ~ email ~ " from " ~ events ~ " where "
            ~ segmart.in_values('user_id', known['user_id']) ~ " or "
            ~ segmart.in_values('anonymous_id', known['anonymous_id']) ~ " or "
            ~ segmart.in_values(email, known['email'])
        ) -%}
        {%- set found.identities = {
            'user_id': segmart.with_values(known['user_id'], linked.columns[0].values()),
            'anonymous_id': segmart.with_values(known['anonymous_id'], linked.columns[1].values()),
            'email': segmart.with_values(known['email'], linked.columns[2].values()),
        } -%}
    {%- endfor -%}
    {{ return(found.identities) }}
{% endmacro %}

{% macro with_values(values, more) %}
    {{ return((values + (more | reject('none') | list)) | unique | sort) }}
{% endmacro %}

{#- `column in (values)`, quoted for the engine at hand; false for no values. -#}
{% macro in_values(column, values) %}
    {{ return(column ~ " in (" ~ segmart.sql_string_list(values) ~ ")" if values else "1 = 0") }}
{% endmacro %}

{#- Rows of the relation that belong to the identities, by the identity columns it has (none:
    an empty string). visitor_id is a user id or an anonymous id; a list's listed_value any. -#}
{% macro identity_condition(relation, identities) %}
    {%- set kinds_by_column = {
        'user_id': ['user_id'],
        'anonymous_id': ['anonymous_id'],
        'visitor_id': ['user_id', 'anonymous_id'],
        'email': ['email'],
        'listed_value': ['user_id', 'anonymous_id', 'email'],
    } -%}
    {%- set conditions = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- set kinds = kinds_by_column.get(column.name | lower, []) -%}
        {%- set values = [] -%}
        {%- for kind in kinds -%}
            {%- do values.extend(identities[kind]) -%}
        {%- endfor -%}
        {%- if values -%}
            {%- set name = adapter.quote(column.name) -%}
            {%- do conditions.append(segmart.in_values(
                'lower(' ~ name ~ ')' if column.name | lower == 'email' else name, values
            )) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(conditions | join(' or ')) }}
{% endmacro %}

{#- Delete the rows; in the landing table keep each as a 'suppressed' reject without content. -#}
{% macro forget_rows(relation, model_name, condition) %}
    {%- if model_name == 'stg_events_landed' -%}
        {%- set kept = ['source_file', 'source_line', 'reject_reason', '_load_sequence',
            '_loaded_at'] -%}
        update {{ relation }} set
            reject_reason = 'suppressed'
            {%- for column in adapter.get_columns_in_relation(relation)
                if column.name | lower not in kept %},
            {{ adapter.quote(column.name) }} = null
            {%- endfor %}
        where {{ condition }}
    {%- else -%}
        delete from {{ relation }} where {{ condition }}
    {%- endif -%}
{% endmacro %}

{#- Add the identities the list does not hold yet ('requested' when the request named them). -#}
{% macro suppress_identities(suppressed, identities, request) %}
    {%- set held = run_query("select identity_kind, identity_value from " ~ suppressed) -%}
    {%- set known = [] -%}
    {%- for row in held.rows -%}
        {%- do known.append(row[0] ~ ':' ~ row[1]) -%}
    {%- endfor -%}
    {%- set rows = [] -%}
    {%- for kind, values in identities.items() -%}
        {%- for value in values if (kind ~ ':' ~ value) not in known -%}
            {%- do rows.append("(" ~ segmart.sql_string_list([
                kind, value, 'requested' if value in request[kind] else 'linked',
                invocation_id]) ~ ", " ~ segmart.current_utc_timestamp() ~ ")") -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if rows -%}
        insert into {{ suppressed }}
            (identity_kind, identity_value, identity_source, request_id, suppressed_at)
        values {{ rows | join(', ') }}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{#- The relation a model (or a ref) was built as, none when it was not built yet. -#}
{% macro built_relation(node) %}
    {{ return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias or node.identifier
    )) }}
{% endmacro %}
