{#
    The two halves of the staging split are clean: staged keys are never
    blank and the quarantine never holds a row without a reason.
#}
with

problems as (
    select
        'stg_orders blank order_id' as problem,
        count(*) as rows_found
    from {{ ref('stg_orders') }}
    where order_id is null or trim(order_id) = ''
    union all
    select
        'stg_customers blank customer_id' as problem,
        count(*) as rows_found
    from {{ ref('stg_customers') }}
    where customer_id is null or trim(customer_id) = ''
    union all
    select
        'stg_events blank event_id' as problem,
        count(*) as rows_found
    from {{ ref('stg_events') }}
    where event_id is null or trim(event_id) = ''
    {% for table in ['customers', 'orders', 'events', 'marketing_spend'] %}
        union all
        select
            'stg_{{ table }}__quarantine without reason' as problem,
            count(*) as rows_found
        from {{ ref('stg_' ~ table ~ '__quarantine') }}
        where reason is null
    {% endfor %}
)

select *
from problems
where rows_found > 0
