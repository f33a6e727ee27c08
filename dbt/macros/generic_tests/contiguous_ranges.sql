{#-
    Fails for each row of a bucket table that breaks the partition of its axis: ordered by
    order_column, the first range has no lower edge, the last no upper edge, and each starts
    the day after the previous one ends; orders start at 1 (0 is reserved for unapplied
    credit, whose label no row may take).
-#}
{% test contiguous_ranges(model, order_column, label_column, min_column, max_column) %}

    with

    neighbours as (
        select
            {{ order_column }} as range_order,
            {{ label_column }} as range_label,
            {{ min_column }} as range_min,
            {{ max_column }} as range_max,
            lag({{ max_column }}) over (order by {{ order_column }}) as previous_max,
            row_number() over (order by {{ order_column }}) as range_number,
            count(*) over () as range_count
        from {{ model }}
    )

    select *
    from neighbours
    where
        range_order < 1
        or range_label = 'Unapplied credit'
        or (range_number = 1 and range_min is not null)
        or (range_number = range_count and range_max is not null)
        or (range_number > 1 and range_min is null)
        or (range_number < range_count and range_max is null)
        or range_min > range_max
        or (range_number > 1 and range_min <> previous_max + 1)

{% endtest %}
