{#
    Cohort retention and LTV curves per cohort_period x acquisition_channel x
    period_number, aggregated from the customer x period cohort table.
#}
with

customer_cohorts as (
    select * from {{ ref('retention', 'customer_cohorts') }}
),

{{ cohort_retention_flagged_ctes() }},

aggregated as (
    select
        cohort_period,
        acquisition_channel,
        period_number,
        {{ cohort_retention_sums() | indent(8) }}
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
