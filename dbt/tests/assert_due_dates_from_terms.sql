-- Worked examples for the due_date_from_terms macro: short months, leap years (2024, 2000)
-- and a century year that is not one (2100). Returns the examples the macro gets wrong.
with

examples as (
    select
        terms.issued,
        terms.kind,
        terms.days,
        terms.expected
    from (
        values
        ('2024-01-31', 'net', 30, '2024-03-01'),
        ('2023-01-31', 'net', 30, '2023-03-02'),
        ('2024-02-29', 'net', 0, '2024-02-29'),
        ('2024-02-29', 'net', 365, '2025-02-28'),
        ('2024-01-15', 'eom_plus', 0, '2024-01-31'),
        ('2024-02-10', 'eom_plus', 0, '2024-02-29'),
        ('2023-02-10', 'eom_plus', 0, '2023-02-28'),
        ('2024-02-10', 'eom_plus', 15, '2024-03-15'),
        ('2023-02-10', 'eom_plus', 15, '2023-03-15'),
        ('2024-01-31', 'eom_plus', 30, '2024-03-01'),
        ('2100-02-01', 'eom_plus', 0, '2100-02-28'),
        ('2000-02-01', 'eom_plus', 0, '2000-02-29'),
        ('2024-01-31', 'days_then_eom', 30, '2024-03-31'),
        ('2024-01-30', 'days_then_eom', 30, '2024-02-29'),
        ('2023-01-30', 'days_then_eom', 30, '2023-03-31'),
        ('2023-12-15', 'days_then_eom', 60, '2024-02-29'),
        ('2024-04-30', 'days_then_eom', 0, '2024-04-30')
    ) as terms (issued, kind, days, expected)
),

computed as (
    select
        kind,
        days,
        cast(issued as date) as issue_date,
        cast(expected as date) as expected_due_date,
        {{ due_date_from_terms('cast(issued as date)', 'kind', 'days') }} as due_date
    from examples
),

final as (
    select *
    from computed
    where due_date is distinct from expected_due_date
)

select * from final
