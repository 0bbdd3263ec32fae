{#- Segment's warehouse destination (SEGMART_SOURCE=segment_warehouse): one schema per source
    (SEGMART_SOURCE_SCHEMA) with a table per call type and one per track event, each message
    flattened into columns (https://segment.com/docs/connections/storage/warehouses/schema/):
    context.page.path is context_page_path, a track's properties are its event table's columns,
    an identify's traits the identifies table's. Each row is rebuilt into its message here. -#}

{#- Segment's table of each call type. -#}
{% macro segment_call_tables() -%}
    {{ return({
        'tracks': 'track', 'pages': 'page', 'screens': 'screen', 'identifies': 'identify',
        'groups': 'group', 'aliases': 'alias',
    }) }}
{%- endmacro %}

{#- Tables Segment derives from the calls (latest traits per user and account): not messages. -#}
{% macro segment_derived_tables() -%}
    {{ return(['users', 'accounts']) }}
{%- endmacro %}

{#- The message fields Segment writes as columns of every table: {column: field}. -#}
{% macro segment_message_columns() -%}
    {{ return({
        'id': 'messageId', 'anonymous_id': 'anonymousId', 'user_id': 'userId',
        'group_id': 'groupId', 'previous_id': 'previousId', 'timestamp': 'timestamp',
        'original_timestamp': 'originalTimestamp', 'sent_at': 'sentAt', 'received_at': 'receivedAt',
    }) }}
{%- endmacro %}

{#- The fields of a call type's own columns ({column: field}) and the object its other columns
    are (properties, traits; none: no other column is part of the message). -#}
{% macro segment_call_fields(call) -%}
    {%- if call == 'track' -%}
        {#- event is Segment's slug of event_text, the name as sent (none: not in the message). -#}
        {{ return(({'event_text': 'event', 'event': none}, 'properties')) }}
    {%- elif call in ['page', 'screen'] -%}
        {{ return(({'name': 'name'}, 'properties')) }}
    {%- elif call in ['identify', 'group'] -%}
        {{ return(({}, 'traits')) }}
    {%- endif -%}
    {{ return(({}, none)) }}
{%- endmacro %}

{#- Segment's context fields (the spec's "Context" list), by the column each is flattened into:
    context_ and each part in snake case (context.userAgent is context_user_agent). A context
    column not in the list keeps its flat name in context. -#}
{% macro segment_context_columns() -%}
    {%- set fields = [
        'active', 'ip', 'locale', 'timezone', 'userAgent', 'groupId', 'channel',
        'app.name', 'app.version', 'app.build', 'app.namespace',
        'campaign.name', 'campaign.source', 'campaign.medium', 'campaign.term', 'campaign.content',
        'device.id', 'device.advertisingId', 'device.adTrackingEnabled', 'device.manufacturer',
        'device.model', 'device.name', 'device.type', 'device.token',
        'library.name', 'library.version',
        'location.city', 'location.country', 'location.latitude', 'location.longitude',
        'location.region', 'location.speed',
        'network.bluetooth', 'network.carrier', 'network.cellular', 'network.wifi',
        'os.name', 'os.version',
        'page.path', 'page.referrer', 'page.search', 'page.title', 'page.url',
        'referrer.id', 'referrer.type', 'screen.width', 'screen.height', 'screen.density',
    ] -%}
    {%- set columns = {} -%}
    {%- for field in fields -%}
        {%- set parts = field.split('.') -%}
        {%- set snake = modules.re.sub('([A-Z])', '_\\1', field).lower().replace('.', '_') -%}
        {%- do columns.update({'context_' ~ snake: parts}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The tables of SEGMART_SOURCE_SCHEMA to read (raw_source_tables): each call type's table
    present, and the track event tables: those var segmart_source_event_tables lists, else every
    other table of the schema. A track is read from its event table, which holds its properties;
    tracks holds only the tracks of events without one. -#}
{% macro segment_warehouse_sources() -%}
    {%- set schema = var('segmart_source_schema') | string | trim -%}
    {%- if not schema -%}
        {{ segmart.raise_source_error(
            "SEGMART_SOURCE=segment_warehouse reads the schema SEGMART_SOURCE_SCHEMA"
            ~ " (var segmart_source_schema) names: set it"
        ) }}
    {%- endif -%}
    {%- set found = {} -%}
    {%- set listing -%}
        select table_name
        from information_schema.tables
        where table_catalog = {{ segmart.sql_string(target.database) }}
            and table_schema = {{ segmart.sql_string(schema) }}
    {%- endset -%}
    {%- for name in run_query(listing).columns[0].values() -%}
        {%- do found.update({name | lower: segmart.source_relation(schema, name)}) -%}
    {%- endfor -%}
    {%- set calls = segmart.segment_call_tables() -%}
    {%- set listed = var('segmart_source_event_tables') -%}
    {%- if listed -%}
        {%- set event_tables = listed | map('lower') | list -%}
        {%- for name in event_tables if name not in found -%}
            {{ segmart.raise_source_error(
                "var segmart_source_event_tables lists " ~ name ~ ", which " ~ schema
                ~ " does not have"
            ) }}
        {%- endfor -%}
    {%- else -%}
        {%- set event_tables = found.keys() | reject('in', calls.keys())
            | reject('in', segmart.segment_derived_tables()) | sort | list -%}
    {%- endif -%}
    {%- set sources = [] -%}
    {%- for name, call in calls.items() if name in found -%}
        {%- set where = none -%}
        {%- if name == 'tracks' and event_tables -%}
            {%- set where = "coalesce(source_row.event, '') not in ("
                ~ segmart.sql_string_list(event_tables) ~ ")" -%}
        {%- endif -%}
        {%- do sources.append(segmart.segment_table_source(schema, found[name], call, where)) -%}
    {%- endfor -%}
    {%- for name in event_tables -%}
        {%- do sources.append(segmart.segment_table_source(schema, found[name], 'track', none)) -%}
    {%- endfor -%}
    {%- if not sources -%}
        {{ segmart.raise_source_error(
            "SEGMART_SOURCE_SCHEMA=" ~ schema ~ ": " ~ target.database ~ "." ~ schema
            ~ " has no table (Segment writes tracks, pages, identifies, ...)"
        ) }}
    {%- endif -%}
    {{ return(sources) }}
{%- endmacro %}

{#- One table of the schema as raw_source_tables describes it: a row's message is its call type,
    the message columns, context from context_* columns and the other columns as the call's
    properties or traits (the load time and Segment's own load columns left out). -#}
{% macro segment_table_source(schema, relation, call, where) -%}
    {%- set name = schema ~ '.' ~ relation.identifier -%}
    {%- set columns = segmart.source_columns(relation, name) -%}
    {%- if 'id' not in columns -%}
        {{ segmart.raise_source_error(
            name ~ " is no Segment table (it has no id column): list the event tables in var"
            ~ " segmart_source_event_tables"
        ) }}
    {%- endif -%}
    {%- set loaded_at = segmart.source_loaded_at(columns, name) -%}
    {%- set own_fields, bag = segmart.segment_call_fields(call) -%}
    {%- set message_columns = segmart.segment_message_columns() -%}
    {%- set context_columns = segmart.segment_context_columns() -%}
    {%- set load_columns = ['uuid_ts', 'loaded_at', var('segmart_source_loaded_at') | lower] -%}
    {%- set fields = {'type': segmart.sql_string(call)} -%}
    {%- set context = {} -%}
    {%- set bag_fields = {} -%}
    {%- for column_name, column in columns.items() -%}
        {%- set value = segmart.source_value(column) -%}
        {%- if column_name in message_columns -%}
            {%- do fields.update({message_columns[column_name]: value}) -%}
        {%- elif column_name in own_fields -%}
            {%- if own_fields[column_name] is not none -%}
                {%- do fields.update({own_fields[column_name]: value}) -%}
            {%- endif -%}
        {%- elif column_name.startswith('context_') -%}
            {%- set parts = context_columns.get(column_name, [column_name[8:]]) -%}
            {%- if parts | length == 1 -%}
                {%- do context.update({parts[0]: value}) -%}
            {%- else -%}
                {%- do context.setdefault(parts[0], {}).update({parts[1]: value}) -%}
            {%- endif -%}
        {%- elif bag and column_name not in load_columns -%}
            {%- do bag_fields.update({column.name: value}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do fields.update({'context': context}) -%}
    {%- if bag -%}
        {%- do fields.update({bag: bag_fields}) -%}
    {%- endif -%}
    {{ return({
        'name': name, 'relation': relation, 'message': segmart.json_message_text(fields),
        'loaded_at': loaded_at, 'where': where,
    }) }}
{%- endmacro %}
