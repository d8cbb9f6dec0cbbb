with

triaged as (
    select * from {{ ref('retention', 'stg_experiment_assignments__triaged') }}
    where disposition = 'staged'
),

final as (
    select
        store,
        experiment_id,
        customer_id,
        variant,
        assigned_at,
        {{ to_reporting_date('assigned_at') }} as assigned_date
    from triaged
)

select * from final
