{{ config(materialized='table') }}

{#
    Every raw experiment assignment row with its fate (docs/staging_rules.md):
    rows without an experiment or a customer are quarantined first; a row
    whose text assigned_at does not parse is quarantined before
    deduplication; rows identical after normalization (experiment_id,
    customer_id, variant, assigned_at) are duplicates of one kept copy; the
    kept copy is then validated. A small table: rebuilt in full on every run
    (docs/incremental.md).
#}
{%- set raw_types = raw_column_types('experiment_assignments') %}

with

source as (
    select * from {{ raw_table('experiment_assignments') }}
),

normalized as (
    select
        store,
        {{ store_qualified_id(clean_text('experiment_id')) }} as experiment_id,
        {{ store_qualified_id(clean_text('customer_id')) }} as customer_id,
        {{ clean_code('variant') }} as variant,
        {{ timestamp_from_raw('assigned_at', raw_types) }} as assigned_at,
        {{ unparseable_reason([('assigned_at', 'timestamp')], raw_types) }}
            as parse_problem
    from source
),

versioned as (
    select
        *,
        row_number() over (
            partition by store, experiment_id, customer_id, variant, assigned_at
            order by parse_problem is not null asc
        ) as version_rank
    from normalized
),

reasoned as (
    select
        *,
        case
            when experiment_id is null then 'missing_experiment_id'
            when customer_id is null then 'missing_customer_id'
            when parse_problem is not null then parse_problem
            when version_rank > 1 then null
            when variant is null then 'missing_variant'
            when assigned_at is null then 'missing_assigned_at'
            when {{ is_implausible_timestamp('assigned_at') }}
                then 'implausible_assigned_at'
        end as quarantine_reason
    from versioned
),

final as (
    select
        store,
        experiment_id,
        customer_id,
        variant,
        assigned_at,
        parse_problem,
        cast(version_rank as {{ dbt.type_bigint() }}) as version_rank,
        quarantine_reason,
        {{ row_disposition() }} as disposition
    from reasoned
)

select * from final
