{#-
    One branch of the union in int_ledger_months_summarized: entity, customer and month of
    `relation`, then every additive KPI part, taken from `values` (part name -> expression on
    `relation`) or 0. Keeps the branches aligned column for column.
-#}
{% macro ledger_month_part(relation, values) -%}
    {%- set part_names = [
        'net_sales_base', 'ar_change_base', 'write_off_base', 'month_end_ar_base',
        'current_ar_base', 'overdue_ar_base', 'settled_amount_base', 'days_to_pay_amount_base',
        'days_late_amount_base', 'paid_on_time_amount_base', 'settled_count',
        'invoiced_amount_base', 'at_risk_open_base',
    ] -%}
    {%- for name in values if name not in part_names -%}
        {{ exceptions.raise_compiler_error('ledger_month_part: unknown part ' ~ name) }}
    {%- endfor -%}
    select
        entity_id,
        customer_id,
        month_start,
        {%- for name in part_names %}
            {{ values.get(name, '0') }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}
