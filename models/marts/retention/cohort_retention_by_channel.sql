{#
    Cohort retention and LTV curves per cohort_period x acquisition_channel x
    period_number, aggregated from the customer x period cohort table.
#}
with

customer_cohorts as (
    select * from {{ ref('retention', 'customer_cohorts') }}
),

last_active_period as (
    select
        customer_id,
        max(
            case when is_active_in_period then period_number end
        ) as last_active_period_number
    from customer_cohorts
    group by customer_id
),

flagged as (
    select
        customer_cohorts.*,
        case when customer_cohorts.is_active_in_period then 1 else 0 end
            as is_active,
        case
            when
                last_active_period.last_active_period_number
                >= customer_cohorts.period_number
                then 1
            else 0
        end as is_retained_on_or_after
    from customer_cohorts
    inner join last_active_period
        on customer_cohorts.customer_id = last_active_period.customer_id
),

aggregated as (
    select
        cohort_period,
        acquisition_channel,
        period_number,
        min(period_start) as period_start,
        count(*) as cohort_size,
        sum(is_active) as active_customers,
        sum(is_retained_on_or_after) as retained_on_or_after,
        sum(purchases_in_period) as purchases,
        sum(net_revenue_in_period) as net_revenue,
        sum(gross_margin_in_period) as gross_margin,
        sum(cumulative_net_revenue) as cumulative_net_revenue,
        sum(cumulative_gross_margin) as cumulative_gross_margin,
        {{ dbt.bool_or('is_complete_period') }} as is_complete_period
    from flagged
    group by cohort_period, acquisition_channel, period_number
),

final as (
    select
        cohort_period,
        cast(acquisition_channel as {{ dbt.type_string() }})
            as acquisition_channel,
        cast(period_number as integer) as period_number,
        period_start,
        {{ cohort_retention_measures() | indent(8) }},
        is_complete_period
    from aggregated
)

select * from final
