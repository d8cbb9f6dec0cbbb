{%- set customer_passthrough = get_passthrough_columns().customer
    | map(attribute='name') | list %}

with

triaged as (
    select * from {{ ref('retention', 'stg_customers__triaged') }}
    where disposition = 'staged'
),

final as (
    select
        store,
        customer_id,
        case
            when not {{ is_implausible_timestamp('signed_up_at') }}
                then signed_up_at
        end as signed_up_at,
        case
            when not {{ is_implausible_timestamp('signed_up_at') }}
                then {{ to_reporting_date('signed_up_at') }}
        end as signup_date,
        has_email,
        email_hash,
        country_code,
        acquisition_channel,
        acquisition_campaign,
        updated_at{{ passthrough_select(customer_passthrough) }} -- noqa
    from triaged
)

select * from final
