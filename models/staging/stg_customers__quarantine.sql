with

triaged as (
    select * from {{ ref('retention', 'stg_customers__triaged') }}
    where disposition = 'quarantined'
),

final as (
    select
        quarantine_reason as reason,
        store,
        customer_id,
        signed_up_at,
        country_code,
        acquisition_channel,
        acquisition_campaign,
        updated_at,
        version_rank
    from triaged
)

select * from final
