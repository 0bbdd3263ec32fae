{#- Channel of a session from its first event (docs/rules.md, "Channel"). medium_channel is the
    channel_medium_aliases row for the normalized UTM medium; referrer_category is "search",
    "social" or null from channel_referrer_hosts. Both tables are seeds users extend. -#}
{% macro channel_from_attribution(has_utm, medium_channel, referrer_category, referrer_host) -%}
    case
        when {{ has_utm }} then
            case
                when {{ medium_channel }} = 'Paid Search' then 'Paid Search'
                when {{ medium_channel }} = 'Paid Social' or {{ referrer_category }} = 'social'
                    then 'Paid Social'
                else coalesce({{ medium_channel }}, 'Other')
            end
        when {{ referrer_host }} is null then 'Direct'
        when {{ referrer_category }} = 'search' then 'Organic Search'
        when {{ referrer_category }} = 'social' then 'Organic Social'
        else 'Referral'
    end
{%- endmacro %}
