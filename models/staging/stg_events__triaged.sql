{{ config(materialized='table') }}

{# Every raw event row with its fate (see docs/staging_rules.md). #}
with

source as (
    select * from {{ source('raw', 'events') }}
),

normalized as (
    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_code('event_name') }} as event_name,
        cast(occurred_at as timestamp) as occurred_at,
        {{ clean_code('platform') }} as platform,
        properties
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by event_id
            order by
                occurred_at asc nulls last,
                customer_id asc nulls last,
                event_name asc nulls last,
                platform asc nulls last,
                properties asc nulls last
        ) as version_rank
    from normalized
),

reasoned as (
    select
        *,
        case
            when event_id is null then 'missing_event_id'
            when version_rank > 1 then null
            when event_name is null then 'missing_event_name'
            when occurred_at is null then 'missing_occurred_at'
            when {{ is_implausible_timestamp('occurred_at') }}
                then 'implausible_occurred_at'
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
