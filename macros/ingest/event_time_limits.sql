{#- The range of times an event may carry (vars earliest_event_time, latest_event_time): an event
    time or receipt time outside it is rejected as time_out_of_range (docs/rules.md). Years 0001
    or 9999 from broken clocks would otherwise reach sessions, retention and segments. -#}

{#- The UTC instant a limit var names, as a Python datetime; a compile error naming the var when
    it is not an ISO-8601 date or time (a wrong limit must not silently accept or reject all). -#}
{% macro event_time_limit_value(name) -%}
    {%- set text = var(name) | string | trim -%}
    {%- set datetime = modules.datetime -%}
    {%- set parsed = none -%}
    {#- Checked before fromisoformat, whose error would not name the var. -#}
    {%- set match = modules.re.match(
        '^([0-9]{4})-([0-9]{2})-([0-9]{2})'
        ~ '([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?'
        ~ '([zZ]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$',
        text
    ) -%}
    {%- if match -%}
        {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
        {%- if year >= 1 and 1 <= month <= 12 and 1 <= day <= 31 and (
            datetime.date(year, month, 1) + datetime.timedelta(days=day - 1)
        ).month == month -%}
            {%- set parsed = datetime.datetime.fromisoformat(text[:10] ~ text[10:].upper()) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if parsed is none -%}
        {{ exceptions.raise_compiler_error(
            "segmart: var " ~ name ~ " must be an ISO-8601 date or time such as"
            ~ " 2000-01-01T00:00:00Z, not '" ~ text ~ "'"
        ) }}
    {%- endif -%}
    {%- if parsed.tzinfo is none -%}
        {{ return(parsed.replace(tzinfo=modules.pytz.utc)) }}
    {%- endif -%}
    {{ return(parsed.astimezone(modules.pytz.utc)) }}
{%- endmacro %}

{#- [earliest, latest]: the limits as SQL timestamps (naive UTC), to compare event times with. -#}
{% macro event_time_limits() -%}
    {%- set earliest = segmart.event_time_limit_value('earliest_event_time') -%}
    {%- set latest = segmart.event_time_limit_value('latest_event_time') -%}
    {%- if earliest >= latest -%}
        {{ exceptions.raise_compiler_error(
            "segmart: var earliest_event_time (" ~ earliest ~ ") must be before"
            ~ " latest_event_time (" ~ latest ~ ")"
        ) }}
    {%- endif -%}
    {%- set limits = [] -%}
    {%- for limit in [earliest, latest] -%}
        {%- set text = limit.replace(tzinfo=none).isoformat() ~ 'Z' -%}
        {%- do limits.append(segmart.parse_timestamp(segmart.sql_string(text))) -%}
    {%- endfor -%}
    {{ return(limits) }}
{%- endmacro %}
