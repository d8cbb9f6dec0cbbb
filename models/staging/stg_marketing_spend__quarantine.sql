with

triaged as (
    select * from {{ ref('retention', 'stg_marketing_spend__triaged') }}
    where disposition = 'quarantined'
),

final as (
    select
        quarantine_reason as reason,
        store,
        spend_date,
        channel,
        campaign,
        spend_amount,
        version_rank
    from triaged
)

select * from final
