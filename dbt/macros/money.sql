{#
    An amount in base currency, rounded to cents. The amount is widened to 38 digits before
    the multiplication because DuckDB keeps a product of two DECIMAL(18, x) in 18 digits and
    would overflow on large amounts.
#}
{% macro to_base_currency(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(38, 2)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}
