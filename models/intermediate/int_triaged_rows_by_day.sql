-- depends_on: {{ ref('retention', 'int_purchases') }}
{%- if using_raw_table('events') %}
-- depends_on: {{ ref('retention', 'int_customer_event_days') }}
-- depends_on: {{ ref('retention', 'int_customer_early_events') }}
{%- endif %}

{#
    Bookkeeping of the incremental models (docs/incremental.md, "Late rows
    of any lateness"): the triaged rows per raw table and UTC day of their
    window timestamp (events: occurred_at; orders: updated_at, else
    ordered_at), rows with a NULL or implausible timestamp left out. It is
    rebuilt after the incremental models (the depends_on lines above), so it
    holds the counts the last run has processed. The next run compares the
    raw table (staging) or the triaged table (intermediate) with it, day by
    day: a day with more rows now received late rows and is re-processed
    whole, however old. The incremental models look it up by name in the
    graph (it is downstream of them, so referencing it would be a cycle).
#}
{%- set order_time = 'coalesce(updated_at, ordered_at)' %}

with

triaged_orders as (
    select * from {{ ref('retention', 'stg_orders__triaged') }}
),

{% if using_raw_table('events') %}

    triaged_events as (
        select * from {{ ref('retention', 'stg_events__triaged') }}
    ),

    event_days as (
        select
            'events' as source_table,
            cast(occurred_at as date) as window_date,
            count(*) as triaged_rows
        from triaged_events
        where
            occurred_at is not null
            and not {{ is_implausible_timestamp('occurred_at') }}
        group by cast(occurred_at as date)
    ),

{% endif %}

order_days as (
    select
        'orders' as source_table,
        cast({{ order_time }} as date) as window_date,
        count(*) as triaged_rows
    from triaged_orders
    where
        {{ order_time }} is not null
        and not {{ is_implausible_timestamp(order_time) }}
    group by cast({{ order_time }} as date)
),

days as (
    select * from order_days
    {% if using_raw_table('events') -%}
        union all
        select * from event_days
    {%- endif %}
),

final as (
    select
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        window_date,
        cast(triaged_rows as {{ dbt.type_bigint() }}) as triaged_rows
    from days
)

select * from final
