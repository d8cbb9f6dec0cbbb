{#
    The calendar months from the month of the earliest first purchase through
    the month containing as_of_date, one row each, with the days a monthly
    mart counts in them. churn and channel_economics read it; the spine
    itself is the macro period_spine, shared with int_period_spine.
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
    {{ period_spine('month',
        'customers', 'period_numbers', 'as_of') | indent(4) }}
)

select * from final
