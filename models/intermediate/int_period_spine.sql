{#
    The periods of every grain of churn_grains (day, week, month, quarter,
    half_year, year), each from the period of the earliest first purchase
    through the period containing as_of_date: one row per grain x period,
    with the days a period counts. churn_by_grain reads it; the month rows
    equal int_month_spine (both are the macro period_spine).
#}
with

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

period_numbers as (
    select * from {{ ref('retention', 'int_period_numbers') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

final as (
    {{ period_spines(get_churn_grains(),
        'customers', 'period_numbers', 'as_of') | indent(4) }}
)

select * from final
