-- depends_on: {{ ref('retention', 'stg_events__triaged') }}
{{ config(**incremental_config(
    unique_key='customer_id',
    partition_by=none,
    tombstone='activation_window_days is null',
)) }}

{#
    Each staged customer's early events (METRICS.md "Activation drivers"):
    one row per customer and distinct event name done on days
    0..activation_window_days after signup (anonymous events and the name
    first_purchase left out, as activation_drivers counts them), and one row
    with a NULL event_name for a customer without any (or without a signup
    date), which keeps the signup date the rows were computed with.
    Incremental by customer (docs/incremental.md, "Customer-level models"):
    a run rewrites every customer whose rows can have changed:
    - a signup date or activation_window_days other than the stored one, or
      a customer new to stg_customers (compared with the table's rows);
    - an early window reaching the run's window (events of the window days
      may be new, late or re-ranked), found as int_customer_event_days finds
      its customer-days;
    - an early window holding a day before the window whose events a run
      may have re-ranked (a late day, an event_id with an implausibly early
      copy);
    a customer gone from stg_customers gets a tombstone (NULL
    activation_window_days) that the post-hook deletes. Nothing depends on
    as_of_date (activation_drivers filters the population). On Spark a
    table (partition_by=none), like int_purchase_days.
#}
{%- set window_days = get_activation_window_days() %}
{%- if is_incremental() %}
    {%- set valid = get_valid_date_window() %}
    {%- if this is string %}
        {#- A unit test (`this` is the fixture's name, nothing to query): no
            window day and no late day, every event readable. #}
        {%- set window_start, late_days = valid[1], [] %}
    {%- else %}
        {%- set window_start, late_days = incremental_window(this,
            'signup_date', ref('retention', 'stg_events__triaged'),
            'occurred_at', 'events', 2) %}
    {%- endif %}
    {#- Customers whose early window reaches the window are all recomputed:
        they signed up on or after recent_start (one more day: a row of the
        window's first UTC day may fall on the day before in
        reporting_timezone). #}
    {%- set recent_start = (modules.datetime.date.fromisoformat(
        window_start | string)
        - modules.datetime.timedelta(days=window_days + 1)).isoformat() %}
    {%- set scan_start = (modules.datetime.date.fromisoformat(recent_start)
        - modules.datetime.timedelta(days=1)).isoformat() %}
    {#- events is read by two steps: scanned twice with their filters pushed
        down, not materialized whole #}
    {%- set scan_twice = inline_cte() %}
{%- else %}
    {%- set scan_twice = '' %}
{%- endif %}

with

customers as (
    select * from {{ ref('retention', 'stg_customers') }}
),

events as {{ scan_twice }} (
    select * from {{ ref('retention', 'stg_events') }}
),

{% if is_incremental() %}

    triaged_events as {{ inline_cte() }} (
        select * from {{ ref('retention', 'stg_events__triaged') }}
    ),

    {#- one row per stored customer: the signup date and window its rows
        were computed with #}
    stored_customers as (
        select
            customer_id,
            max(signup_date) as signup_date,
            max(activation_window_days) as activation_window_days
        from {{ this }}
        group by customer_id
    ),

    {#- new, gone, other signup date, other activation_window_days #}
    changed_customers as (
        select
            coalesce(
                customers.customer_id, stored_customers.customer_id
            ) as customer_id,
            customers.customer_id is null as is_gone
        from customers
        full outer join stored_customers
            on customers.customer_id = stored_customers.customer_id
        where
            customers.customer_id is null
            or stored_customers.customer_id is null
            or customers.signup_date
            is distinct from stored_customers.signup_date
            or stored_customers.activation_window_days != {{ window_days }}
    ),

    {#- the customer-days before the window whose events a run may have
        re-ranked (as in int_customer_event_days) #}
    {{ reranked_event_days_ctes('triaged_events', late_days,
        window_start) }},

    reranked_customers as (
        select distinct customers.customer_id
        from reranked_days
        inner join customers
            on
                reranked_days.customer_id = customers.customer_id
                and {{ is_in_early_window('reranked_days.event_date',
                    'customers.signup_date') }}
    ),

    recent_customers as (
        select customer_id
        from customers
        where signup_date >= cast('{{ recent_start }}' as date)
    ),

    rewritten_customers as (
        select customer_id from changed_customers
        union
        select customer_id from reranked_customers
        union
        select customer_id from recent_customers
    ),

    recomputed_customers as (
        select
            customers.customer_id,
            customers.signup_date
        from customers
        inner join rewritten_customers
            on customers.customer_id = rewritten_customers.customer_id
    ),

    {#- rewritten customers whose early window starts before the recent
        days (a changed signup or var, a re-ranked day): usually none #}
    earlier_customers as (
        select customer_id
        from recomputed_customers
        where signup_date < cast('{{ recent_start }}' as date)
    ),

    {#- the recent days' events (a constant filter the scan applies), and
        the earlier events of the earlier customers only (a join that reads
        nothing more when there are none) #}
    read_events as (
        select *
        from events
        where
            occurred_at >= cast('{{ scan_start }}' as timestamp)
            and event_date >= cast('{{ recent_start }}' as date)
        union all
        select events.*
        from events
        inner join earlier_customers
            on events.customer_id = earlier_customers.customer_id
        where events.event_date < cast('{{ recent_start }}' as date)
    ),

{% else %}

    recomputed_customers as (
        select
            customer_id,
            signup_date
        from customers
    ),

    read_events as (
        select * from events
    ),

{% endif %}

early_events as (
    select distinct
        recomputed_customers.customer_id,
        read_events.event_name
    from recomputed_customers
    inner join read_events
        on
            recomputed_customers.customer_id = read_events.customer_id
            and {{ is_in_early_window('read_events.event_date',
                'recomputed_customers.signup_date') }}
    where
        not read_events.is_anonymous
        and read_events.event_name <> 'first_purchase'
),

{# a customer without early events keeps one row: its signup date #}
customer_rows as (
    select
        recomputed_customers.customer_id,
        recomputed_customers.signup_date,
        early_events.event_name
    from recomputed_customers
    left join early_events
        on recomputed_customers.customer_id = early_events.customer_id
),

{% if is_incremental() %}

    {# a customer gone from stg_customers: one tombstone deletes its rows #}
    tombstones as (
        select
            customer_id,
            cast(null as date) as signup_date,
            cast(null as integer) as activation_window_days,
            cast(null as {{ dbt.type_string() }}) as event_name
        from changed_customers
        where is_gone
    ),

{% endif %}

final as (
    select
        customer_id,
        signup_date,
        cast({{ window_days }} as integer) as activation_window_days,
        cast(event_name as {{ dbt.type_string() }}) as event_name
    from customer_rows
    {%- if is_incremental() %}
        union all
        select * from tombstones
    {%- endif %}
)

select * from final
