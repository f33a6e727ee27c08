{#
    The run's parameters as SQL literals, validated once here so that a typo in a var fails
    the compile instead of producing an empty mart.
#}

{% macro as_of_date_iso() -%}
    {%- set value = var('as_of_date', '') | string | trim -%}
    {%- if value in ('', 'none', 'None') -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d') -%}
    {%- endif -%}
    {%- do modules.datetime.date.fromisoformat(value) -%}
    {{- return(value) -}}
{%- endmacro %}


{% macro as_of_date() -%}
    cast('{{ as_of_date_iso() }}' as date)
{%- endmacro %}


{#- First instant after the as-of date: `_at` timestamps must be strictly before it. -#}
{% macro as_of_end_at() -%}
    cast({{ dbt.dateadd('day', 1, as_of_date()) }} as timestamp)
{%- endmacro %}


{% macro group_currency() -%}
    {%- set value = var('group_currency', 'EUR') | string | trim | upper -%}
    {%- if value | length != 3 or not value.isalpha() -%}
        {{ exceptions.raise_compiler_error("group_currency must be an ISO 4217 code, got " ~ value) }}
    {%- endif -%}
    '{{ value }}'
{%- endmacro %}


{% macro dso_window_months() -%}
    {%- set value = var('dso_window_months', 3) | int -%}
    {%- if value < 1 -%}
        {{ exceptions.raise_compiler_error("dso_window_months must be at least 1") }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
