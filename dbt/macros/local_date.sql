{#-
    The business date of a UTC timestamp in an IANA time zone (null zone: UTC). Contract
    timestamps are naive UTC; the entity's time zone decides on which day an event happened,
    so a reminder sent at 23:30 in Amsterdam belongs to that day, not to the next.
-#}
{% macro local_date(timestamp_utc, time_zone) -%}
    {{ return(adapter.dispatch('local_date')(timestamp_utc, time_zone)) }}
{%- endmacro %}

{% macro default__local_date(timestamp_utc, time_zone) -%}
    cast(
        ({{ timestamp_utc }} at time zone 'UTC') at time zone coalesce({{ time_zone }}, 'UTC')
        as date
    )
{%- endmacro %}
