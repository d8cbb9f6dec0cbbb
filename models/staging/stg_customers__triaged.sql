{{ config(materialized='table') }}
{%- set customer_passthrough = get_passthrough_columns().customer
    | map(attribute='name') | list %}

{#
    Every raw customer row with its fate (see docs/staging_rules.md).
    Text-typed raw columns are parsed (macros/staging/raw_values.sql).
#}
{%- set raw_types = raw_column_types('customers') %}

with

source as (
    select * from {{ raw_table('customers') }}
),

normalized as (
    select
        store,
        {{ store_qualified_id(clean_text('customer_id')) }} as customer_id,
        {{ timestamp_from_raw('signed_up_at', raw_types) }} as signed_up_at,
        {{ clean_text('email') }} is not null as has_email,
        {{ email_hash('email') }} as email_hash,
        case
            when {{ regex_matches('upper(trim(country_code))', '^[A-Z]{2}$') }}
                then upper(trim(country_code))
        end as country_code,
        coalesce({{ clean_code('acquisition_channel') }}, 'unknown')
            as acquisition_channel,
        {{ clean_text('acquisition_campaign') }} as acquisition_campaign,
        {{ unparseable_reason([
            ('updated_at', 'timestamp'),
            ('signed_up_at', 'timestamp'),
        ], raw_types) }} as parse_problem,
        {{ timestamp_from_raw('updated_at', raw_types) }}
            as updated_at{{ passthrough_select(customer_passthrough) }} -- noqa
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by
                parse_problem = 'unparseable_updated_at' asc nulls first,
                updated_at desc nulls last,
                signed_up_at desc nulls last,
                acquisition_channel asc,
                acquisition_campaign asc nulls last,
                country_code asc nulls last,
                has_email desc
        ) as version_rank
    from normalized
),

reasoned as (
    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
            when parse_problem = 'unparseable_updated_at' then parse_problem
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
