{#
    The RFM summary of int_rfm_summary (where its logic lives, so that the
    CLV fits can read it from the intermediate layer), published under the
    enforced contract of the mart.
#}
with

rfm as (
    select * from {{ ref('retention', 'int_rfm_summary') }}
),

final as (
    select
        customer_id,
        frequency,
        recency,
        t,
        monetary_value,
        observation_end,
        time_unit_days
    from rfm
)

select * from final
