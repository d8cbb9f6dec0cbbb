{#
    LTV/CAC by acquisition channel, pooled over the cohort months whose
    12-month LTV is known: sum of 12-month gross margin / sum of spend, so
    large months weigh more than small ones (a ratio of sums, not a mean of
    ratios). Channels without spend show NULL CAC.
#}
with

channel_economics as (
    select * from {{ ref('retention', 'channel_economics') }}
),

mature_cohorts as (
    select *
    from channel_economics
    where ltv_12m is not null
),

final as (
    select
        acquisition_channel,
        count(*) as cohort_months,
        sum(new_customers) as new_customers,
        sum(spend) as spend,
        {{ cac('sum(spend)', 'sum(new_customers)') }} as cac,
        {{ per_customer('sum(ltv_12m * new_customers)',
            'sum(new_customers)') }} as ltv_12m,
        {{ ltv_to_cac(
            per_customer('sum(ltv_12m * new_customers)', 'sum(new_customers)'),
            cac('sum(spend)', 'sum(new_customers)')
        ) }} as ltv_to_cac_12m,
        avg(payback_months) as avg_payback_months
    from mature_cohorts
    group by acquisition_channel
)

select * from final
order by ltv_to_cac_12m desc nulls last
