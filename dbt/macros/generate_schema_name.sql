{#
    Custom schemas are used literally (staging, intermediate, marts, reference) instead of
    dbt's default <target_schema>_<custom_schema>, because the lead's Dagster assets, the ML
    code and the dashboard read fixed schema names.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
