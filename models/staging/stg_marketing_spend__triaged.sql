{{ config(materialized='table') }}

{#
    Every raw marketing spend row with its fate (see docs/staging_rules.md).
    Text-typed raw columns are parsed (macros/staging/raw_values.sql); a row
    whose date or amount does not parse is quarantined even when it looks
    like a copy of another (the unparsed values cannot be compared).
#}
{%- set raw_types = raw_column_types('marketing_spend') %}
{#- With several stores, a spend line is one store's: the store is part of
    its id (one store: the id is unchanged). #}
{%- set store_key_parts = ["store", "'|'"] if stores_are_listed() else [] %}

with

source as (
    select * from {{ raw_table('marketing_spend') }}
),

normalized as (
    select
        store,
        {{ date_from_raw('spend_date', raw_types) }} as spend_date,
        {{ clean_code('channel') }} as channel,
        {{ clean_text('campaign') }} as campaign,
        {{ money_from_raw('spend_amount', raw_types) }} as spend_amount,
        {{ unparseable_reason([
            ('spend_date', 'date'),
            ('spend_amount', 'money'),
        ], raw_types) }} as parse_problem
    from source
),

versioned as (
    select
        *,
        {{ dbt.hash(dbt.concat(store_key_parts + [
            "coalesce(cast(spend_date as " ~ dbt.type_string() ~ "), '~')",
            "'|'", "coalesce(channel, '~')",
            "'|'", "coalesce(campaign, '~')",
            "'|'", "coalesce(cast(spend_amount as " ~ dbt.type_string() ~ "), '~')",
        ])) }} as spend_line_id,
        row_number() over (
            partition by store, spend_date, channel, campaign, spend_amount
            order by parse_problem is not null asc
        ) as version_rank
    from normalized
),

reasoned as (
    select
        *,
        case
            when parse_problem is not null then parse_problem
            when version_rank > 1 then null
            when spend_date is null then 'missing_spend_date'
            when channel is null then 'missing_channel'
            when spend_amount is null then 'missing_spend_amount'
            when spend_amount < 0 then 'negative_spend_amount'
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
