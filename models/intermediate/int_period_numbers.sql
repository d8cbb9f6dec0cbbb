{#
    Integers 0..n, enough to enumerate every day, week, month or quarter
    from the earliest purchase date to as_of_date. The period spines of
    customer_cohorts and int_month_spine join to it.
#}
with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

first_purchase as (
    select min(purchase_date) as first_date from purchase_days
),

bounds as (
    select
        {{ days_between('first_date', 'as_of_date') }}
            as max_number
    from first_purchase
    cross join as_of
),

series as (
    select {{ integer_series(0, 'max_number') }} as period_number
    from bounds
    where max_number is not null
),

final as (
    select cast(period_number as integer) as period_number
    from series
)

select * from final
