{{ config(materialized='table') }}

{#
    Every raw order row with its fate: staged, quarantined (with a reason) or
    duplicate. stg_orders and stg_orders__quarantine read from here, so no row
    can fall between them (see docs/staging_rules.md).
#}
with

source as (
    select * from {{ source('raw', 'orders') }}
),

normalized as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        cast(ordered_at as timestamp) as ordered_at,
        coalesce({{ clean_code('status') }}, 'unknown') as status,
        cast(order_amount as {{ type_money() }}) as order_amount,
        cast(refunded_amount as {{ type_money() }}) as refunded_amount,
        cast(cost_amount as {{ type_money() }}) as cost_amount,
        cast(updated_at as timestamp) as updated_at
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by order_id
            order by
                updated_at desc nulls last,
                ordered_at desc nulls last,
                status asc,
                order_amount desc nulls last,
                refunded_amount desc nulls last,
                cost_amount desc nulls last,
                customer_id asc nulls last
        ) as version_rank
    from normalized
),

reasoned as (
    select
        *,
        case
            when order_id is null then 'missing_order_id'
            when version_rank > 1 then null
            when customer_id is null then 'missing_customer_id'
            when ordered_at is null then 'missing_ordered_at'
            when {{ is_implausible_timestamp('ordered_at') }}
                then 'implausible_ordered_at'
            when order_amount is null then 'missing_order_amount'
            when
                order_amount < 0
                or refunded_amount < 0
                or cost_amount < 0
                then 'negative_amount'
            when refunded_amount > order_amount
                then 'refund_exceeds_order_amount'
        end as quarantine_reason
    from versioned
),

final as (
    select
        *,
        {{ row_disposition() }} as disposition
    from reasoned
)

select * from final
