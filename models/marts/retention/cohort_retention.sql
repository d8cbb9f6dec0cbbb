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
        {{ cohort_retention_sums_of_sums() }}
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
