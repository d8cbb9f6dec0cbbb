with

triaged as (
    select * from {{ ref('retention', 'stg_experiment_assignments__triaged') }}
    where disposition = 'quarantined'
),

final as (
    select
        quarantine_reason as reason,
        store,
        experiment_id,
        customer_id,
        variant,
        assigned_at,
        version_rank
    from triaged
)

select * from final
