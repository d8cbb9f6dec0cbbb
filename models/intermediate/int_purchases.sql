-- depends_on: {{ ref('retention', 'stg_orders__triaged') }}
{{ config(**incremental_config(
    unique_key='order_id',
    partition_by='partition_month',
    tombstone='customer_id is null',
)) }}

{#
    Orders that count as purchases (METRICS.md), dated on or before
    as_of_date.
    Incremental (docs/incremental.md): a run rebuilds the orders that have a
    version in the window of stg_orders__triaged or on one of its late days
    (days before the window that received rows since the last run); an
    order that stopped being a purchase leaves a tombstone (NULL
    customer_id) that the post-hook deletes.
#}
{%- set version_time = 'coalesce(updated_at, ordered_at)' %}
{%- if is_incremental() %}
    {%- set window = incremental_window(this, version_time,
        ref('retention', 'stg_orders__triaged'), version_time, 'orders') %}
    {%- set window_start, late_days = window %}
{%- endif %}

with

orders as (
    select * from {{ ref('retention', 'stg_orders') }}
),

purchases as (
    select
        order_id,
        customer_id,
        order_date,
        ordered_at,
        net_revenue,
        gross_margin,
        has_cost,
        updated_at
    from orders
    where
        is_purchase
        and order_date <= {{ as_of_date() }}
),

{% if is_incremental() %}

    triaged_orders as (
        select * from {{ ref('retention', 'stg_orders__triaged') }}
    ),

    touched_orders as (
        select order_id
        from triaged_orders
        where
            order_id is not null
            and {{ in_incremental_window(version_time, window_start, late_days) }}
        union
        select order_id
        from {{ this }}
        where order_date > {{ as_of_date() }}
    ),

    final as (
        select
            touched_orders.order_id,
            purchases.customer_id,
            purchases.order_date,
            purchases.ordered_at,
            purchases.net_revenue,
            purchases.gross_margin,
            purchases.has_cost,
            purchases.updated_at{{ incremental_partition_column('purchases.order_date') }}
        from touched_orders
        left join purchases
            on touched_orders.order_id = purchases.order_id
    )

{% else %}

    final as (
        select *{{ incremental_partition_column('order_date') }}
        from purchases
    )

{% endif %}

select * from final
