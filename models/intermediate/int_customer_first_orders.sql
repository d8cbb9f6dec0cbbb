{{ config(enabled=get_passthrough_columns().first_order | length > 0) }}

{#
    One row per customer with at least one purchase: the customer's first
    purchase (earliest ordered_at; ties broken by order_id) and the
    first_order_passthrough_columns of that order, under their aliases.
    Built only when that var lists columns.
#}
with

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),

orders as (
    select * from {{ ref('retention', 'stg_orders') }}
),

ranked as (
    select
        customer_id,
        order_id,
        row_number() over (
            partition by customer_id
            order by ordered_at asc, order_id asc
        ) as purchase_number
    from purchases
),

final as (
    select
        ranked.customer_id,
        ranked.order_id as first_order_id{{ passthrough_aliases(
            get_passthrough_columns().first_order, 'orders') }}
    from ranked
    inner join orders
        on ranked.order_id = orders.order_id
    where ranked.purchase_number = 1
)

select * from final
