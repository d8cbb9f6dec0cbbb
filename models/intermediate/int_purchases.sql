{#
    Orders that count as purchases (METRICS.md), dated on or before
    as_of_date.
#}
with

orders as (
    select * from {{ ref('stg_orders') }}
),

final as (
    select
        order_id,
        customer_id,
        order_date,
        ordered_at,
        net_revenue,
        gross_margin,
        has_cost
    from orders
    where
        is_purchase
        and order_date <= {{ as_of_date() }}
)

select * from final
