{#
    METRICS.md "Churn and CRR at every grain": the month rows of
    churn_by_grain equal churn, column for column (rows of either side that
    the other lacks are returned). Skipped (no rows) when churn_grains leaves
    month out.
#}
{%- set columns = [
    'period_start', 'period_end', 'customers_start', 'customers_end',
    'new_customers', 'new_customers_active_end', 'retained_customers',
    'churned_customers', 'reactivated_customers', 'churn_rate',
    'retention_rate', 'crr', 'is_complete_period',
] %}
with

churn as (
    select {{ columns | join(', ') }}
    from {{ ref('retention', 'churn') }}
),

month_rows as (
    select {{ columns | join(', ') }}
    from {{ ref('retention', 'churn_by_grain') }}
    where grain = 'month'
),

only_in_churn as (
    select * from churn
    except
    select * from month_rows
),

only_in_churn_by_grain as (
    select * from month_rows
    except
    select * from churn
),

final as (
    select
        'only in churn' as side,
        only_in_churn.*
    from only_in_churn
    union all
    select
        'only in churn_by_grain' as side,
        only_in_churn_by_grain.*
    from only_in_churn_by_grain
)

select * from final
{%- if 'month' not in get_churn_grains() %}
where 1 = 0
{%- endif %}
