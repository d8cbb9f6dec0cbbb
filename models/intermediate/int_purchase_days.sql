{#
    One row per customer per purchase date: same-day purchases merge into one
    purchase day (the Fader/Hardie and lifetimes convention).
#}
with

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),

days as (
    select
        customer_id,
        order_date as purchase_date,
        count(*) as purchases,
        cast(sum(net_revenue) as {{ type_money() }}) as net_revenue,
        cast(sum(gross_margin) as {{ type_money() }}) as gross_margin
    from purchases
    group by customer_id, order_date
),

sequenced as (
    select
        *,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as purchase_day_number,
        lag(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date
    from days
),

final as (
    select
        customer_id,
        purchase_date,
        purchase_day_number,
        previous_purchase_date,
        {{ days_between('previous_purchase_date', 'purchase_date') }}
            as days_since_previous_purchase,
        purchases,
        net_revenue,
        gross_margin
    from sequenced
)

select * from final
