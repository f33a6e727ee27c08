-- The additive parts of every monthly KPI, per entity, customer segment and month (only the
-- months where something happened or something was open; int_scope_months_summarized fills
-- the gaps). All amounts in base currency. Every part adds up across entities and segments,
-- so each scope's KPIs are ratios of sums, never averages of ratios.
--
-- - Sales and write-offs by issue month (each at its own issue-date rate); the ledger
--   change by entry month.
-- - Month-end balances (open, current, overdue, unapplied credit) from the item balances
--   valid at the month end; current = receivables not yet due or due that day, an invoice on
--   an instalment plan split into its instalments open at the month end (each current or
--   overdue by its own due date).
-- - Settlements as known at the month end: a receivable settled in the month and not
--   reopened by the month end. Write-off settlements and invoices of zero or less are left
--   out, so days to pay and days late describe payments.
-- - Invoices of the month and what of them was still open at_risk_days after issue.
with

documents as (
    select * from {{ ref('int_documents_signed') }}
),

entries as (
    select * from {{ ref('int_ledger_entries_valued') }}
),

balances as (
    select * from {{ ref('int_item_balances_ranged') }}
),

months as (
    select * from {{ ref('int_calendar_months') }}
),

instalments as (
    select * from {{ ref('int_instalments_planned') }}
),

customers as (
    select * from {{ ref('stg_erp__customers') }}
),

sales as (
    select
        entity_id,
        customer_id,
        cast({{ dbt.date_trunc('month', 'issue_date') }} as date) as month_start,
        case
            when document_type in ('invoice', 'debit_note') then amount_base
            when document_type = 'credit_note' then -amount_base
            else 0
        end as net_sales_base,
        case when document_type = 'write_off' then amount_base else 0 end as write_off_base
    from documents
),

ledger_changes as (
    select
        entity_id,
        customer_id,
        entry_month as month_start,
        ar_effect_base as ar_change_base
    from entries
),

month_end_items as (
    select
        balances.*,
        months.month_start,
        months.month_end
    from balances
    inner join months
        on
            balances.valid_from <= months.month_end
            and balances.valid_to > months.month_end
    where balances.open_amount <> 0
),

month_end_parts as (
    {{ split_into_instalments(
        'month_end_items', 'instalments', ['month_start', 'entity_id', 'item_type', 'item_id']
    ) }}
),

month_end_balances as (
    select
        entity_id,
        customer_id,
        month_start,
        part_open_amount_base as open_amount_base,
        case
            when
                is_receivable
                and part_open_amount > 0
                and part_due_date >= month_end
                then part_open_amount_base
            else 0
        end as current_ar_base,
        case
            when
                is_receivable
                and part_open_amount > 0
                and part_due_date < month_end
                then part_open_amount_base
            else 0
        end as overdue_ar_base
    from month_end_parts
),

settlements as (
    select
        balances.entity_id,
        balances.customer_id,
        months.month_start,
        balances.amount_base,
        {{ days_between('balances.issue_date', 'balances.valid_from') }} as days_to_pay,
        {{ days_between('balances.due_date', 'balances.valid_from') }} as days_late
    from balances
    inner join months
        on
            balances.valid_from >= months.month_start
            and balances.valid_from <= months.month_end
    where
        balances.is_settlement
        and not balances.is_write_off_day
        and balances.valid_to > months.month_end
),

invoices as (
    select
        entity_id,
        document_type as item_type,
        document_id as item_id,
        customer_id,
        issue_date,
        amount_base,
        cast({{ dbt.dateadd('day', at_risk_days(), 'issue_date') }} as date) as at_risk_date
    from documents
    where document_type in ('invoice', 'debit_note') and amount > 0
),

at_risk as (
    select
        invoices.entity_id,
        invoices.customer_id,
        cast({{ dbt.date_trunc('month', 'invoices.issue_date') }} as date) as month_start,
        invoices.amount_base as invoiced_amount_base,
        case
            when balances.open_amount_base > 0 then balances.open_amount_base else 0
        end as at_risk_open_base
    from invoices
    left join balances
        on
            invoices.entity_id = balances.entity_id
            and invoices.item_type = balances.item_type
            and invoices.item_id = balances.item_id
            and invoices.at_risk_date >= balances.valid_from
            and invoices.at_risk_date < balances.valid_to
),

parts as (
    {{ ledger_month_part('sales', {
        'net_sales_base': 'net_sales_base', 'write_off_base': 'write_off_base',
    }) }}
    union all
    {{ ledger_month_part('ledger_changes', {'ar_change_base': 'ar_change_base'}) }}
    union all
    {{ ledger_month_part('month_end_balances', {
        'month_end_ar_base': 'open_amount_base',
        'current_ar_base': 'current_ar_base',
        'overdue_ar_base': 'overdue_ar_base',
    }) }}
    union all
    {{ ledger_month_part('settlements', {
        'settled_amount_base': 'amount_base',
        'days_to_pay_amount_base': 'amount_base * days_to_pay',
        'days_late_amount_base': 'amount_base * days_late',
        'paid_on_time_amount_base': 'case when days_late <= 0 then amount_base else 0 end',
        'settled_count': '1',
    }) }}
    union all
    {{ ledger_month_part('at_risk', {
        'invoiced_amount_base': 'invoiced_amount_base',
        'at_risk_open_base': 'at_risk_open_base',
    }) }}
),

segmented as (
    select
        parts.*,
        coalesce(customers.segment, 'unassigned') as segment
    from parts
    left join customers
        on
            parts.entity_id = customers.entity_id
            and parts.customer_id = customers.customer_id
),

final as (
    select
        entity_id,
        segment,
        month_start,
        cast(sum(net_sales_base) as decimal(18, 2)) as net_sales_base,
        cast(sum(ar_change_base) as decimal(18, 2)) as ar_change_base,
        cast(sum(write_off_base) as decimal(18, 2)) as write_off_base,
        cast(sum(month_end_ar_base) as decimal(18, 2)) as month_end_ar_base,
        cast(sum(current_ar_base) as decimal(18, 2)) as current_ar_base,
        cast(sum(overdue_ar_base) as decimal(18, 2)) as overdue_ar_base,
        cast(sum(settled_amount_base) as decimal(18, 2)) as settled_amount_base,
        cast(sum(days_to_pay_amount_base) as decimal(38, 2)) as days_to_pay_amount_base,
        cast(sum(days_late_amount_base) as decimal(38, 2)) as days_late_amount_base,
        cast(sum(paid_on_time_amount_base) as decimal(18, 2)) as paid_on_time_amount_base,
        sum(settled_count) as settled_count,
        cast(sum(invoiced_amount_base) as decimal(18, 2)) as invoiced_amount_base,
        cast(sum(at_risk_open_base) as decimal(18, 2)) as at_risk_open_base
    from segmented
    group by entity_id, segment, month_start
)

select * from final
