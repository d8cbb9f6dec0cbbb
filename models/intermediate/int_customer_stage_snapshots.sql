{#
    One row per customer x snapshot date: the customer's lifecycle stage
    (METRICS.md "Lifecycle stage") evaluated as if as_of_date were the
    snapshot date, from the purchase days on or before it. Snapshot dates
    are the period_end of int_month_spine: every month end before as_of_date
    from the end of the first purchase month, plus as_of_date. A customer
    has a row at every snapshot on or after their first purchase date.
    The one home of the stage: the customers mart reads its as_of_date row,
    lifecycle_flows every row.

    Set-based, no customer x snapshot x purchase join: running totals over
    the purchase days, and each purchase day holds from its date until the
    next one, so a snapshot joins exactly the last purchase day on or
    before it.
#}
with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

running_totals as (
    select
        customer_id,
        purchase_date,
        purchase_day_number,
        days_since_previous_purchase,
        min(purchase_date) over (
            partition by customer_id
        ) as first_purchase_date,
        lead(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as next_purchase_date,
        sum(net_revenue) over (
            partition by customer_id order by purchase_date
            rows between unbounded preceding and current row
        ) as net_revenue_to_date
    from purchase_days
),

{# A purchase day is the customer's latest one from its date until the
    next purchase day (or beyond as_of_date for the last one). #}
holding_spans as (
    select
        running_totals.*,
        coalesce(
            running_totals.next_purchase_date,
            {{ add_days('as_of.as_of_date', 1) }}
        ) as held_until
    from running_totals
    cross join as_of
),

snapshot_measures as (
    select
        month_spine.period_end as snapshot_date,
        holding_spans.customer_id,
        holding_spans.first_purchase_date,
        holding_spans.purchase_date as last_purchase_date,
        holding_spans.purchase_day_number as purchase_days,
        holding_spans.days_since_previous_purchase as last_gap_days,
        cast(holding_spans.net_revenue_to_date as {{ type_money() }})
            as net_revenue,
        {{ avg_days_between_purchases('holding_spans.first_purchase_date',
            'holding_spans.purchase_date',
            'holding_spans.purchase_day_number') }}
            as avg_days_between_purchases,
        {{ days_between('holding_spans.purchase_date',
            'month_spine.period_end') }} as recency_days,
        {{ days_between('holding_spans.first_purchase_date',
            'month_spine.period_end') }} as tenure_days
    from holding_spans
    inner join month_spine
        on
            holding_spans.purchase_date <= month_spine.period_end
            and holding_spans.held_until > month_spine.period_end
),

scored as (
    select
        *,
        {{ rfm_score('recency_days desc', 'snapshot_date') }}
            as rfm_recency_score,
        {{ rfm_score('purchase_days asc', 'snapshot_date') }}
            as rfm_frequency_score,
        {{ rfm_score('net_revenue asc', 'snapshot_date') }}
            as rfm_monetary_score
    from snapshot_measures
),

final as (
    select
        snapshot_date,
        customer_id,
        first_purchase_date,
        last_purchase_date,
        cast(purchase_days as {{ dbt.type_bigint() }}) as purchase_days,
        net_revenue,
        cast(last_gap_days as integer) as last_gap_days,
        avg_days_between_purchases,
        cast(recency_days as integer) as recency_days,
        cast(tenure_days as integer) as tenure_days,
        cast(rfm_recency_score as integer) as rfm_recency_score,
        cast(rfm_frequency_score as integer) as rfm_frequency_score,
        cast(rfm_monetary_score as integer) as rfm_monetary_score,
        {{ lifecycle_stage(
            'recency_days', 'tenure_days', 'purchase_days', 'last_gap_days',
            'avg_days_between_purchases', 'rfm_recency_score',
            'rfm_frequency_score', 'rfm_monetary_score'
        ) }} as lifecycle_stage
    from scored
)

select * from final
