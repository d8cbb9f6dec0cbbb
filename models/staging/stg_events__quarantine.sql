with

triaged as (
    select * from {{ ref('retention', 'stg_events__triaged') }}
    where disposition = 'quarantined'
),

final as (
    select
        quarantine_reason as reason,
        store,
        event_id,
        customer_id,
        event_name,
        occurred_at,
        platform,
        properties,
        version_rank
    from triaged
)

select * from final
