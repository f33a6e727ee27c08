{#-
    Like dbt's `relationships`, for a key of several columns: fails for each row whose
    combination of `columns` has no match in `to` (rows with a null in the key are skipped).
    `to_columns` defaults to the same names.
-#}
{% test relationships_combination(model, columns, to, to_columns=none) %}
    {%- set target_columns = to_columns or columns -%}

    select child.*
    from {{ model }} as child
    where
        {% for column in columns -%}
            child.{{ column }} is not null
            {% if not loop.last %}and {% endif %}
        {%- endfor %}
        and not exists (
            select 1
            from {{ to }} as parent
            where
                {% for column in columns -%}
                    parent.{{ target_columns[loop.index0] }} = child.{{ column }}
                    {% if not loop.last %}and {% endif %}
                {%- endfor %}
        )

{% endtest %}
