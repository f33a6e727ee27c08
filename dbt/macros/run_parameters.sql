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


{% macro group_currency() -%}
    {%- set value = var('group_currency', 'EUR') | string | trim | upper -%}
    {%- if value | length != 3 or not value.isalpha() -%}
        {%- set message = "group_currency must be an ISO 4217 code, got " ~ value -%}
        {{ exceptions.raise_compiler_error(message) }}
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


{#- Months behind the collection effectiveness index (N in KPIS.md); 1 = the month itself. -#}
{% macro cei_window_months() -%}
    {%- set value = var('cei_window_months', 1) | int -%}
    {%- if value < 1 -%}
        {{ exceptions.raise_compiler_error("cei_window_months must be at least 1") }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}


{#- Days after issue at which an invoice still open counts as at risk. -#}
{% macro at_risk_days() -%}
    {%- set value = var('at_risk_days', 90) | int -%}
    {%- if value < 1 -%}
        {{ exceptions.raise_compiler_error("at_risk_days must be at least 1") }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}


{#- Net each customer's unapplied credit into its oldest open items (aging marts only). -#}
{% macro net_unapplied_credit() -%}
    {%- set value = var('net_unapplied_credit', false) | string | trim | lower -%}
    {%- if value not in ('true', 'false', '1', '0', 'yes', 'no', '') -%}
        {{ exceptions.raise_compiler_error("net_unapplied_credit must be true or false") }}
    {%- endif -%}
    {{- return(value in ('true', '1', 'yes')) -}}
{%- endmacro %}
