{%- set orders_passthrough = get_passthrough_columns().first_order
    | map(attribute='name') | list %}

with

triaged as (
    select * from {{ ref('retention', 'stg_orders__triaged') }}
    where disposition = 'staged'
),

final as (
    select
        store,
        order_id,
        customer_id,
        ordered_at,
        {{ to_reporting_timestamp('ordered_at') }} as ordered_at_local,
        {{ to_reporting_date('ordered_at') }} as order_date,
        status,
        order_amount,
        cast(coalesce(refunded_amount, 0) as {{ type_money() }})
            as refunded_amount,
        cost_amount,
        cost_amount is not null as has_cost,
        {{ net_revenue('order_amount', 'refunded_amount') }} as net_revenue,
        {{ gross_margin(net_revenue('order_amount', 'refunded_amount'),
            'cost_amount') }} as gross_margin,
        {{ is_fully_refunded('order_amount', 'refunded_amount') }}
            as is_fully_refunded,
        {{ is_purchase('status', 'order_amount', 'refunded_amount') }}
            as is_purchase,
        updated_at{{ passthrough_select(orders_passthrough) }} -- noqa
    from triaged
)

select * from final
