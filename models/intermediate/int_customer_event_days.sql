{#
    Events reduced once to distinct customer-days: one row per customer per
    day with at least one event, on or before as_of_date. Anonymous events
    never enter. Every product-usage mart reads this table, never raw events.
#}
with

events as (
    select * from {{ ref('stg_events') }}
),

final as (
    select
        customer_id,
        event_date,
        count(*) as events,
        sum(
            case
                when event_name = '{{ get_activation_event() }}' then 1
                else 0
            end
        ) as activation_events
    from events
    where
        not is_anonymous
        and event_date <= {{ as_of_date() }}
    group by customer_id, event_date
)

select * from final
