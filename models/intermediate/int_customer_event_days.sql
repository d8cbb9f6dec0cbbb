-- depends_on: {{ ref('retention', 'stg_events__triaged') }}
{{ config(**incremental_config(
    unique_key=['customer_id', 'event_date'],
    partition_by='partition_month',
    tombstone='events = 0',
)) }}

{#
    Events reduced once to distinct customer-days: one row per customer per
    day with at least one event, on or before as_of_date. Anonymous events
    never enter. Every product-usage mart reads this table, never raw events.
    Incremental (docs/incremental.md): a run recomputes the customer-days of
    the window (two extra days, and the reporting date before the window's
    first UTC day, cover the shift between UTC and reporting dates), the
    customer-days after as_of_date, and the customer-days of
    every copy of the event_ids that a run may have re-ranked: those with an
    implausibly early copy, and those with a copy on a late day (a UTC day
    before the window that received rows since the last run, however old);
    a customer-day left without events gets a tombstone (events = 0) that
    the post-hook deletes.
#}
{%- if is_incremental() %}
    {%- set window = incremental_window(this, 'event_date',
        ref('retention', 'stg_events__triaged'), 'occurred_at', 'events', 2) %}
    {%- set window_start, late_days = window %}
    {#- Late days are UTC days before window_start; the rows of the UTC
        day window_start and later are window rows. In a reporting timezone
        behind UTC some of them fall on the reporting date before
        window_start, so the customer-days recomputed start one date
        earlier (recompute_start), read from the UTC day before it
        (scan_start: a reporting date spans at most two UTC days). The data
        tests of this run check from recompute_start. #}
    {%- set recompute_start = (modules.datetime.date.fromisoformat(window_start)
        - modules.datetime.timedelta(days=1)).isoformat() %}
    {%- set scan_start = (modules.datetime.date.fromisoformat(window_start)
        - modules.datetime.timedelta(days=2)).isoformat() %}
    {%- do remember_run_window(recompute_start, late_days) %}
    {#- The 100M-row inputs are read by two branches each: scanned twice
        with their filters pushed down, not materialized whole. #}
    {%- set scan_twice = inline_cte() %}
    {#- false when no customer-day was re-ranked: the branch that reads
        every event of the re-ranked customer-days is left out. Spark only
        (a query first; elsewhere always true, the SQL unchanged). #}
    {%- set with_reranked_days = has_reranked_event_days(
        ref('retention', 'stg_events__triaged'), late_days, recompute_start) %}
{%- else %}
    {%- set scan_twice = '' %}
{%- endif %}

with

events as {{ scan_twice }} (
    select * from {{ ref('retention', 'stg_events') }}
),

{% if is_incremental() %}

    triaged_events as {{ scan_twice }} (
        select * from {{ ref('retention', 'stg_events__triaged') }}
    ),

    window_events as (
        select *
        from events
        where
            occurred_at >= cast('{{ scan_start }}' as timestamp)
            and event_date >= cast('{{ recompute_start }}' as date)
    ),

    {#- the customer-days before the recomputed dates whose events a run
        may have re-ranked #}
    {{ reranked_event_days_ctes('triaged_events', late_days,
        recompute_start) }},

    reranked_day_events as (
        select events.*
        from events
        inner join reranked_days
            on
                events.customer_id = reranked_days.customer_id
                and events.event_date = reranked_days.event_date
    ),

    recomputed_events as (
        select * from window_events
        {%- if with_reranked_days %}
        union all
        select * from reranked_day_events
        {%- endif %}
    ),

{% else %}

    recomputed_events as (
        select * from events
    ),

{% endif %}

customer_days as (
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
    from recomputed_events
    where
        not is_anonymous
        and event_date <= {{ as_of_date() }}
    group by customer_id, event_date
),

{% if is_incremental() %}

    touched_days as (
        select
            customer_id,
            event_date
        from window_events
        where not is_anonymous
        {%- if with_reranked_days %}
        union
        select
            customer_id,
            event_date
        from reranked_days
        {%- endif %}
        union
        select
            customer_id,
            event_date
        from {{ this }}
        where
            event_date >= cast('{{ recompute_start }}' as date)
            or event_date > {{ as_of_date() }}
    ),

    final as (
        select
            touched_days.customer_id,
            touched_days.event_date,
            coalesce(customer_days.events, 0) as events,
            coalesce(customer_days.activation_events, 0)
                as activation_events{{ incremental_partition_column('touched_days.event_date') }}
        from touched_days
        left join customer_days
            on
                touched_days.customer_id = customer_days.customer_id
                and touched_days.event_date = customer_days.event_date
    )

{% else %}

    final as (
        select *{{ incremental_partition_column('event_date') }}
        from customer_days
    )

{% endif %}

select * from final
