{#
    The calendar months from the month of the earliest first purchase through
    the month containing as_of_date, one row each, with the days a monthly
    mart counts in them. churn and channel_economics read it, so the month
    spine is built once.
#}
with

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

period_numbers as (
    select * from {{ ref('retention', 'int_period_numbers') }}
),

as_of as (
    select
        as_of_date,
        {{ period_start('as_of_date', 'month') }} as as_of_month
    from {{ ref('retention', 'int_as_of_date') }}
),

first_month as (
    select
        {{ period_start('min(first_purchase_date)', 'month') }}
            as first_month
    from customers
),

months as (
    select
        {{ add_periods('first_month.first_month',
            'period_numbers.period_number', 'month') }} as period_start,
        as_of.as_of_date
    from first_month
    cross join as_of
    inner join period_numbers
        on period_numbers.period_number <= {{ periods_between(
            'first_month.first_month', 'as_of.as_of_month', 'month') }}
),

final as (
    select
        period_start,
        case
            when {{ period_end('period_start', 'month') }} <= as_of_date
                then {{ period_end('period_start', 'month') }}
            else as_of_date
        end as period_end,
        {{ add_days('period_start', -1) }} as day_before_start,
        {{ period_end('period_start', 'month') }} <= as_of_date
            as is_complete_period
    from months
)

select * from final
