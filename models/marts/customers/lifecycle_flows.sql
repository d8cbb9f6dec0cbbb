{#
    How customers move between lifecycle stages (METRICS.md "Lifecycle
    flows"): one row per snapshot date x stage at the previous snapshot x
    stage at this one, counting customers. The stages are those of
    int_customer_stage_snapshots (the customers mart's as_of_date stage is
    its last snapshot); `none` is the stage of a customer without a
    purchase yet at the previous snapshot (every customer at the first
    snapshot). Only pairs with at least one customer get a row.
#}
with

stage_snapshots as (
    select * from {{ ref('retention', 'int_customer_stage_snapshots') }}
),

{# A customer has a row at every snapshot from their first purchase on, so
    the previous row is the previous snapshot. #}
transitions as (
    select
        snapshot_date,
        customer_id,
        lifecycle_stage as to_stage,
        coalesce(
            lag(lifecycle_stage) over (
                partition by customer_id order by snapshot_date
            ),
            'none'
        ) as from_stage
    from stage_snapshots
),

flow_counts as (
    select
        snapshot_date,
        from_stage,
        to_stage,
        count(*) as customers
    from transitions
    group by snapshot_date, from_stage, to_stage
),

final as (
    select
        snapshot_date,
        cast(from_stage as {{ dbt.type_string() }}) as from_stage,
        cast(to_stage as {{ dbt.type_string() }}) as to_stage,
        cast(customers as {{ dbt.type_bigint() }}) as customers
    from flow_counts
)

select * from final
