with

triaged as (
    select * from {{ ref('retention', 'stg_orders__triaged') }}
    where disposition = 'quarantined'
),

final as (
    select
        quarantine_reason as reason,
        store,
        order_id,
        customer_id,
        ordered_at,
        status,
        order_amount,
        refunded_amount,
        cost_amount,
        updated_at,
        version_rank
    from triaged
)

select * from final
