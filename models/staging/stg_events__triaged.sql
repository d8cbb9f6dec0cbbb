{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='triage_key',
) }}

{#
    Every raw event row with its fate (see docs/staging_rules.md).
    Incremental (docs/incremental.md): a run re-triages the raw rows of the
    window together with the rows already triaged for the same event_ids, and
    replaces them by triage_key.
#}
{%- if is_incremental() %}
    {%- set window_start = incremental_window_start(this, 'occurred_at') %}
{%- endif %}

with

source as (
    select * from {{ source('raw', 'events') }}
    {%- if is_incremental() %}
        where {{ in_incremental_window('occurred_at', window_start) }}
    {%- endif %}
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

{% if is_incremental() %}

    window_event_ids as (
        select distinct event_id
        from normalized
        where event_id is not null
    ),

    {# Earlier copies of the window's event_ids, triaged in earlier runs. #}
    settled_copies as (
        select
            event_id,
            customer_id,
            event_name,
            occurred_at,
            platform,
            properties
        from {{ this }}
        where
            event_id in (select event_id from window_event_ids)
            and not {{ in_incremental_window('occurred_at', window_start) }}
    ),

    candidates as (
        select * from normalized
        union all
        select * from settled_copies
    ),

{% else %}

    candidates as (
        select * from normalized
    ),

{% endif %}

keyed as (
    select
        *,
        {{ triage_key('event_id', 'occurred_at') }} as triage_key
    from candidates
),

versioned as (
    select
        *,
        row_number() over (
            partition by triage_key
            order by
                occurred_at asc nulls last,
                customer_id asc nulls last,
                event_name asc nulls last,
                platform asc nulls last,
                properties asc nulls last
        ) as version_rank
    from keyed
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
        event_id,
        customer_id,
        event_name,
        occurred_at,
        platform,
        properties,
        version_rank,
        quarantine_reason,
        {{ row_disposition() }} as disposition,
        triage_key
    from reasoned
)

select * from final
