{{ config(**incremental_config(
    unique_key='triage_key',
    partition_by='partition_month',
)) }}

{#
    Every raw order row with its fate: staged, quarantined (with a reason) or
    duplicate. stg_orders and stg_orders__quarantine read from here, so no row
    can fall between them (see docs/staging_rules.md).
    Incremental (docs/incremental.md): the window is on the version time
    (updated_at, else ordered_at); a run re-triages the raw rows of the
    window and of the late days (days before it that received raw rows
    since the last run, however old) together with the earlier versions of
    the same order_ids, so a late update of an old order replaces its staged
    row.
    Text-typed raw columns are parsed (macros/staging/raw_values.sql); the
    window filter reads the raw version time through the same parsing.
#}
{%- set version_time = 'coalesce(updated_at, ordered_at)' %}
{%- set raw_types = raw_column_types('orders') %}
{%- set raw_version_time = 'coalesce('
    ~ timestamp_from_raw('updated_at', raw_types) ~ ', '
    ~ timestamp_from_raw('ordered_at', raw_types) ~ ')' %}
{%- set orders_passthrough = get_passthrough_columns().first_order
    | map(attribute='name') | list %}
{%- if is_incremental() %}
    {%- do require_incremental_columns(this, ['store'] + orders_passthrough) %}
    {%- set window = incremental_window(this, version_time, raw_table('orders'),
        raw_version_time, 'orders') %}
    {%- set window_start, late_days = window %}
{%- endif %}

with

source as (
    select * from {{ raw_table('orders') }}
    {%- if is_incremental() %}
        where {{ in_incremental_window(
            raw_version_time, window_start, late_days) }}
    {%- endif %}
),

normalized as (
    select
        store,
        {{ store_qualified_id(clean_text('order_id')) }} as order_id,
        {{ store_qualified_id(clean_text('customer_id')) }} as customer_id,
        {{ timestamp_from_raw('ordered_at', raw_types) }} as ordered_at,
        coalesce({{ clean_code('status') }}, 'unknown') as status,
        {{ money_from_raw('order_amount', raw_types) }} as order_amount,
        {{ money_from_raw('refunded_amount', raw_types) }} as refunded_amount,
        {{ money_from_raw('cost_amount', raw_types) }} as cost_amount,
        {{ unparseable_reason([
            ('updated_at', 'timestamp'),
            ('ordered_at', 'timestamp'),
            ('order_amount', 'money'),
            ('refunded_amount', 'money'),
            ('cost_amount', 'money'),
        ], raw_types) }} as parse_problem,
        {{ timestamp_from_raw('updated_at', raw_types) }}
            as updated_at{{ passthrough_select(orders_passthrough) }} -- noqa
    from source
),

{% if is_incremental() %}

    window_order_ids as (
        select distinct order_id
        from normalized
        where order_id is not null
    ),

    {# Earlier versions of the window's order_ids, triaged in earlier runs. #}
    settled_versions as (
        select
            store,
            order_id,
            customer_id,
            ordered_at,
            status,
            order_amount,
            refunded_amount,
            cost_amount,
            {{ stored_unparseable_reason() }} as parse_problem,
            updated_at{{ passthrough_select(orders_passthrough) }}
        from {{ this }}
        where
            order_id in (select order_id from window_order_ids)
            and not {{ in_incremental_window(
                version_time, window_start, late_days) }}
    ),

    candidates as (
        select * from normalized
        union all
        select * from settled_versions
    ),

{% else %}

    candidates as (
        select * from normalized
    ),

{% endif %}

keyed as (
    select
        *,
        {{ triage_key('order_id', version_time) }} as triage_key
    from candidates
),

versioned as (
    select
        *,
        row_number() over (
            partition by triage_key
            order by
                parse_problem = 'unparseable_updated_at' asc nulls first,
                updated_at desc nulls last,
                ordered_at desc nulls last,
                status asc,
                order_amount desc nulls last,
                refunded_amount desc nulls last,
                cost_amount desc nulls last,
                customer_id asc nulls last
        ) as version_rank
    from keyed
),

reasoned as (
    select
        *,
        case
            when order_id is null then 'missing_order_id'
            when parse_problem = 'unparseable_updated_at' then parse_problem
            when version_rank > 1 then null
            when customer_id is null then 'missing_customer_id'
            when parse_problem is not null then parse_problem
            when ordered_at is null then 'missing_ordered_at'
            when {{ is_implausible_timestamp('ordered_at') }}
                then 'implausible_ordered_at'
            when order_amount is null then 'missing_order_amount'
            when
                order_amount < 0
                or refunded_amount < 0
                or cost_amount < 0
                then 'negative_amount'
            when refunded_amount > order_amount
                then 'refund_exceeds_order_amount'
        end as quarantine_reason
    from versioned
),

final as (
    select
        store,
        order_id,
        customer_id,
        ordered_at,
        status,
        order_amount,
        refunded_amount,
        cost_amount,
        updated_at,{{ passthrough_select(orders_passthrough, trailing=true) }}
        version_rank,
        quarantine_reason,
        {{ row_disposition() }} as disposition,
        triage_key{{ incremental_partition_column(version_time) }} -- noqa: LT02
    from reasoned
)

select * from final
