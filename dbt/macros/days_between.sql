{#-
    Whole days from start_date to end_date (end - start) through dbt's cross-database
    datediff, trimmed to one line so the compiled SQL stays readable and lintable.
-#}
{% macro days_between(start_date, end_date) -%}
    {{ return(dbt.datediff(start_date, end_date, 'day') | trim) }}
{%- endmacro %}
