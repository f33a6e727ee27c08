{#-
    A select that splits the open invoices and debit notes of `items` (a CTE with entity_id,
    item_type, item_id, due_date, open_amount, open_amount_base, fx_rate_to_base) into one
    row per open instalment of their plan in `plans` (int_instalments_planned). Settlements
    fill a plan's instalments oldest first, so with the item's open amount O instalment k is
    open when O > amount_after (what the later instalments add up to), for
    least(amount, O - amount_after); the first instalment also takes whatever O exceeds the
    plan by, so the parts always add up to O. Each part is valued at the item's rate and the
    last instalment (always open while the item is) takes the rounding difference, so the
    parts add up to the item's base open amount to the cent. An item without a usable plan,
    or not open, stays one row with a null instalment_number.

    Adds: instalment_number, instalment_count, instalment_amount, part_due_date, part_open_amount,
    part_open_amount_base. `partition_by` lists the columns that identify one item (with the
    date when `items` holds several dates).
-#}
{% macro split_into_instalments(items, plans, partition_by) -%}
    {%- set part_open -%}
        case
            when {{ plans }}.instalment_number = 1
                then {{ items }}.open_amount - {{ plans }}.amount_after
            else least({{ plans }}.amount, {{ items }}.open_amount - {{ plans }}.amount_after)
        end
    {%- endset -%}
    {%- set part_base = to_base_currency(part_open, items ~ '.fx_rate_to_base') -%}
    select
        {{ items }}.*,
        {{ plans }}.instalment_number,
        {{ plans }}.instalment_count,
        {{ plans }}.amount as instalment_amount,
        coalesce({{ plans }}.due_date, {{ items }}.due_date) as part_due_date,
        cast(
            case
                when {{ plans }}.instalment_number is null then {{ items }}.open_amount
                else {{ part_open }}
            end as decimal(18, 2)
        ) as part_open_amount,
        cast(
            case
                when {{ plans }}.instalment_number is null then {{ items }}.open_amount_base
                when {{ plans }}.instalment_number < {{ plans }}.instalment_count
                    then {{ part_base }}
                else {{ items }}.open_amount_base - coalesce(
                    sum(
                        case
                            when {{ plans }}.instalment_number < {{ plans }}.instalment_count
                                then {{ part_base }}
                        end
                    ) over (
                        partition by
                        {%- for column in partition_by %}
                            {{ items }}.{{ column }}{{ "," if not loop.last }}
                        {%- endfor %}
                    ),
                    0
                )
            end as decimal(18, 2)
        ) as part_open_amount_base
    from {{ items }}
    left join {{ plans }}
        on
            {{ items }}.entity_id = {{ plans }}.entity_id
            and {{ items }}.item_id = {{ plans }}.document_id
            and {{ items }}.item_type in ('invoice', 'debit_note')
            and {{ items }}.open_amount > {{ plans }}.amount_after
{%- endmacro %}

{#-
    The join condition that puts a row of `dated` (with is_unapplied_credit and a days past
    due column) into its bucket of `buckets` (int_aging_buckets_extended): unapplied credit into its
    pseudo-bucket, everything else into the range of the aging_buckets seed holding its days
    past due.
-#}
{% macro in_aging_bucket(dated, buckets, days_past_due='days_past_due') -%}
    {{ dated }}.is_unapplied_credit = {{ buckets }}.is_unapplied_credit
    and (
        {{ dated }}.is_unapplied_credit
        or (
            coalesce({{ dated }}.{{ days_past_due }} >= {{ buckets }}.min_days_past_due, true)
            and coalesce({{ dated }}.{{ days_past_due }} <= {{ buckets }}.max_days_past_due, true)
        )
    )
{%- endmacro %}
