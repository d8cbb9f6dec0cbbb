with

triaged as (
    select * from {{ ref('retention', 'stg_events__triaged') }}
    where disposition = 'staged'
),

parsed as (
    select
        *,
        {{ json_is_valid('properties') }} as has_valid_properties,
        {{ json_text_field('properties', 'score') }} as score_text
    from triaged
),

final as (
    select
        store,
        event_id,
        customer_id,
        customer_id is null as is_anonymous,
        event_name,
        occurred_at,
        {{ to_reporting_timestamp('occurred_at') }} as occurred_at_local,
        {{ to_reporting_date('occurred_at') }} as event_date,
        platform,
        properties,
        coalesce(has_valid_properties, false) as has_valid_properties,
        case
            when
                event_name = 'nps_response'
                and {{ regex_matches('trim(score_text)', '^[0-9]{1,2}$') }}
                and cast(trim(score_text) as integer) between 0 and 10
                then cast(trim(score_text) as integer)
        end as nps_score
    from parsed
)

select * from final
