{#
    One row per customer with a purchase: lifetime order counts and value,
    and the time-between-purchases facts of METRICS.md for that customer.
    Read from the purchase days alone (their purchases, sums and has_cost
    add up to the orders'), one row per customer-day instead of per order.
#}
with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

gap_facts as (
    select
        customer_id,
        count(*) as purchase_days,
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        min(case when has_cost then 1 else 0 end) = 1 as has_cost,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        max(
            case when purchase_day_number = 2 then purchase_date end
        ) as second_purchase_date,
        max(
            case
                when purchase_day_number = 2
                    then days_since_previous_purchase
            end
        ) as days_to_second_purchase,
        {{ percentile_cont('days_since_previous_purchase', 0.5) }}
            as median_days_between_purchases
    from purchase_days
    group by customer_id
),

last_gaps as (
    select
        purchase_days.customer_id,
        purchase_days.days_since_previous_purchase as last_gap_days
    from purchase_days
    inner join gap_facts
        on
            purchase_days.customer_id = gap_facts.customer_id
            and purchase_days.purchase_date = gap_facts.last_purchase_date
),

final as (
    select
        gap_facts.customer_id,
        gap_facts.purchases,
        gap_facts.purchase_days,
        cast(gap_facts.net_revenue as {{ type_money() }}) as net_revenue,
        cast(gap_facts.gross_margin as {{ type_money() }}) as gross_margin,
        gap_facts.has_cost,
        gap_facts.first_purchase_date,
        gap_facts.second_purchase_date,
        gap_facts.last_purchase_date,
        gap_facts.days_to_second_purchase,
        {{ avg_days_between_purchases('gap_facts.first_purchase_date',
            'gap_facts.last_purchase_date', 'gap_facts.purchase_days') }}
            as avg_days_between_purchases,
        cast(gap_facts.median_days_between_purchases as {{ type_ratio() }})
            as median_days_between_purchases,
        last_gaps.last_gap_days
    from gap_facts
    inner join last_gaps
        on gap_facts.customer_id = last_gaps.customer_id
)

select * from final
