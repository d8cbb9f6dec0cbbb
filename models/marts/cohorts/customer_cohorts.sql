{#
    The cohort table: one row per customer per cohort_grain period, from the
    cohort period through the period containing as_of_date, zero-filled.
#}
{%- set grain = get_cohort_grain() %}

with

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),

period_numbers as (
    select * from {{ ref('retention', 'int_period_numbers') }}
),

as_of as (
    select
        as_of_date,
        {{ period_start('as_of_date', grain) }} as as_of_period
    from {{ ref('retention', 'int_as_of_date') }}
),

customer_periods as (
    select
        customers.customer_id,
        customers.acquisition_channel,
        customers.cohort_period,
        period_numbers.period_number,
        {{ add_periods('customers.cohort_period',
            'period_numbers.period_number', grain) }} as period_start,
        as_of.as_of_date
    from customers
    cross join as_of
    inner join period_numbers
        on period_numbers.period_number <= {{ periods_between(
            'customers.cohort_period', 'as_of.as_of_period', grain) }}
),

purchases_by_period as (
    select
        customer_id,
        {{ period_start('order_date', grain) }} as period_start,
        count(*) as purchases_in_period,
        sum(net_revenue) as net_revenue_in_period,
        sum(gross_margin) as gross_margin_in_period
    from purchases
    group by customer_id, {{ period_start('order_date', grain) }}
),

filled as (
    select
        customer_periods.*,
        coalesce(purchases_by_period.purchases_in_period, 0)
            as purchases_in_period,
        coalesce(purchases_by_period.net_revenue_in_period, 0)
            as net_revenue_in_period,
        coalesce(purchases_by_period.gross_margin_in_period, 0)
            as gross_margin_in_period
    from customer_periods
    left join purchases_by_period
        on
            customer_periods.customer_id = purchases_by_period.customer_id
            and customer_periods.period_start = purchases_by_period.period_start
),

final as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(acquisition_channel as {{ dbt.type_string() }})
            as acquisition_channel,
        cohort_period,
        period_start,
        cast(period_number as integer) as period_number,
        cast(purchases_in_period as {{ dbt.type_bigint() }})
            as purchases_in_period,
        cast(net_revenue_in_period as {{ type_money() }})
            as net_revenue_in_period,
        cast(gross_margin_in_period as {{ type_money() }})
            as gross_margin_in_period,
        purchases_in_period > 0 as is_active_in_period,
        cast(sum(purchases_in_period) over (
            partition by customer_id
            order by period_number
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as cumulative_purchases,
        cast(sum(net_revenue_in_period) over (
            partition by customer_id
            order by period_number
            rows between unbounded preceding and current row
        ) as {{ type_money() }}) as cumulative_net_revenue,
        cast(sum(gross_margin_in_period) over (
            partition by customer_id
            order by period_number
            rows between unbounded preceding and current row
        ) as {{ type_money() }}) as cumulative_gross_margin,
        {{ period_end('period_start', grain) }} <= as_of_date
            as is_complete_period
    from filled
)

select * from final
