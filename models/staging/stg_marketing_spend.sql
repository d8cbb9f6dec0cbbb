with

triaged as (
    select * from {{ ref('retention', 'stg_marketing_spend__triaged') }}
    where disposition = 'staged'
),

final as (
    select
        spend_line_id,
        store,
        spend_date,
        channel,
        campaign,
        spend_amount
    from triaged
)

select * from final
