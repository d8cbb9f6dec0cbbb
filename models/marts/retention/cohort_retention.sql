{#
    Cohort retention over all channels: the channel grain summed (every
    customer has exactly one channel), rates recomputed from the sums.
#}
with

by_channel as (
    select * from {{ ref('retention', 'cohort_retention_by_channel') }}
),

aggregated as (
    select
        cohort_period,
        period_number,
        min(period_start) as period_start,
        sum(cohort_size) as cohort_size,
        sum(active_customers) as active_customers,
        sum(retained_on_or_after) as retained_on_or_after,
        sum(purchases) as purchases,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(cumulative_net_revenue) as cumulative_net_revenue,
        sum(cumulative_gross_margin) as cumulative_gross_margin,
        {{ dbt.bool_or('is_complete_period') }} as is_complete_period
    from by_channel
    group by cohort_period, period_number
),

final as (
    select
        cohort_period,
        cast(period_number as integer) as period_number,
        period_start,
        {{ cohort_retention_measures() | indent(8) }},
        is_complete_period
    from aggregated
)

select * from final
