{#
    Who churned in the latest complete month: customers active the day
    before the month started and not active on its last day (the
    churned_customers of the churn mart), with their value and stage today.
#}
with

churn as (
    select * from {{ ref('retention', 'churn') }}
),

spells as (
    select * from {{ ref('retention', 'int_active_spells') }}
),

customers as (
    select * from {{ ref('retention', 'customers') }}
),

last_complete_month as (
    select
        period_start,
        period_end,
        {{ add_days('period_start', -1) }} as day_before_start
    from churn
    where is_complete_period
    order by period_start desc
    limit 1
),

active_at_start as (
    select distinct spells.customer_id
    from spells
    cross join last_complete_month
    where
        spells.spell_start_date <= last_complete_month.day_before_start
        and spells.spell_end_date >= last_complete_month.day_before_start
),

active_at_end as (
    select distinct spells.customer_id
    from spells
    cross join last_complete_month
    where
        spells.spell_start_date <= last_complete_month.period_end
        and spells.spell_end_date >= last_complete_month.period_end
),

churned as (
    select active_at_start.customer_id
    from active_at_start
    left join active_at_end
        on active_at_start.customer_id = active_at_end.customer_id
    where active_at_end.customer_id is null
),

final as (
    select
        last_complete_month.period_start as churned_in_month,
        customers.customer_id,
        customers.acquisition_channel,
        customers.cohort_period,
        customers.last_purchase_date,
        customers.purchases,
        customers.net_revenue,
        customers.historical_cltv,
        customers.lifecycle_stage,
        customers.rfm_recency_score,
        customers.rfm_frequency_score,
        customers.rfm_monetary_score
    from churned
    inner join customers
        on churned.customer_id = customers.customer_id
    cross join last_complete_month
)

select * from final
order by historical_cltv desc, customer_id asc
