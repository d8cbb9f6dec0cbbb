{#
    NPS responses (METRICS.md "NPS"): staged, non-anonymous nps_response
    events with a valid score 0..10, dated (reporting_timezone) on or before
    as_of_date, one row each, with the class of the score and the two
    "latest" flags the NPS marts read: the customer's latest response of the
    calendar month, and of all time. Latest = the latest occurred_at, ties
    broken by the greater event_id.
#}
with

events as (
    select * from {{ ref('retention', 'stg_events') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

responses as (
    select
        events.customer_id,
        events.event_id,
        events.occurred_at,
        events.event_date as response_date,
        {{ period_start('events.event_date', 'month') }} as month_start,
        events.nps_score
    from events
    cross join as_of
    where
        events.event_name = 'nps_response'
        and not events.is_anonymous
        and events.nps_score is not null
        and events.event_date <= as_of.as_of_date
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, month_start
            order by occurred_at desc, event_id desc
        ) as rank_in_month,
        row_number() over (
            partition by customer_id
            order by occurred_at desc, event_id desc
        ) as rank_overall
    from responses
),

final as (
    select
        customer_id,
        event_id,
        occurred_at,
        response_date,
        month_start,
        cast(nps_score as integer) as nps_score,
        {{ nps_class('nps_score') }} as nps_class,
        rank_in_month = 1 as is_latest_in_month,
        rank_overall = 1 as is_latest
    from ranked
)

select * from final
