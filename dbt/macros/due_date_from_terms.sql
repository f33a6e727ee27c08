{#-
    The due date of a document from its payment terms, as a SQL date expression:
    - 'net':           issue date + N days (N = 0 is due on issue);
    - 'eom_plus':      last day of the issue month + N days;
    - 'days_then_eom': issue date + N days, then the last day of that month.
    Any other kind gives null. Month ends come from dbt.last_day, so February in leap years
    and short months need no special case. The input contract has no terms column yet (see
    dbt/README.md): the macro is tested on its own by assert_due_dates_from_terms.
-#}
{% macro due_date_from_terms(issue_date, terms_kind, terms_days) -%}
    {%- set month_end = dbt.last_day(issue_date, 'month') -%}
    cast(
        case {{ terms_kind }}
            when 'net' then {{ dbt.dateadd('day', terms_days, issue_date) }}
            when 'eom_plus' then {{ dbt.dateadd('day', terms_days, month_end) }}
            when 'days_then_eom'
                then {{ dbt.last_day(dbt.dateadd('day', terms_days, issue_date), 'month') }}
        end
        as date
    )
{%- endmacro %}
