{#- Coarse device / OS / browser from a User-Agent string, used when the message's context does
    not say. Order matters: Edge and Opera announce themselves as Chrome too. -#}
{% macro device_type_from_user_agent(user_agent) -%}
    case
        when {{ segmart.regex_matches(user_agent, "'(?i)ipad|tablet'") }} then 'tablet'
        when {{ segmart.regex_matches(user_agent, "'(?i)mobi|iphone|android'") }} then 'mobile'
        when {{ user_agent }} is not null then 'desktop'
    end
{%- endmacro %}

{% macro os_from_user_agent(user_agent) -%}
    case
        when {{ segmart.regex_matches(user_agent, "'(?i)iphone|ipad|ios'") }} then 'iOS'
        when {{ segmart.regex_matches(user_agent, "'(?i)android'") }} then 'Android'
        when {{ segmart.regex_matches(user_agent, "'(?i)windows'") }} then 'Windows'
        when {{ segmart.regex_matches(user_agent, "'(?i)mac os x|macintosh'") }} then 'macOS'
        when {{ segmart.regex_matches(user_agent, "'(?i)cros'") }} then 'Chrome OS'
        when {{ segmart.regex_matches(user_agent, "'(?i)linux'") }} then 'Linux'
        when {{ user_agent }} is not null then 'Other'
    end
{%- endmacro %}

{% macro browser_from_user_agent(user_agent) -%}
    case
        when {{ segmart.regex_matches(user_agent, "'(?i)bot|crawler|spider'") }} then 'Bot'
        when {{ segmart.regex_matches(user_agent, "'Edg(e|A|iOS)?/'") }} then 'Edge'
        when {{ segmart.regex_matches(user_agent, "'OPR/|Opera'") }} then 'Opera'
        when {{ segmart.regex_matches(user_agent, "'SamsungBrowser/'") }} then 'Samsung Internet'
        when {{ segmart.regex_matches(user_agent, "'Firefox/|FxiOS/'") }} then 'Firefox'
        when {{ segmart.regex_matches(user_agent, "'Chrome/|CriOS/'") }} then 'Chrome'
        when {{ segmart.regex_matches(user_agent, "'Safari/'") }} then 'Safari'
        when {{ user_agent }} is not null then 'Other'
    end
{%- endmacro %}
