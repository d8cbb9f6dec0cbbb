{#
    METRICS.md "Lifecycle flows": for each snapshot, the customers summed
    over from_stage (excluding `none`) equal the previous snapshot's
    customers summed over to_stage; at the first snapshot everyone comes
    from `none`. Every snapshot of int_month_spine (month ends before
    as_of_date and as_of_date) has customers. Returns each snapshot that
    breaks this.
#}
with

flows as (
    select * from {{ ref('retention', 'lifecycle_flows') }}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

snapshot_totals as (
    select
        snapshot_date,
        sum(
            case when from_stage != 'none' then customers else 0 end
        ) as customers_from_a_stage,
        sum(customers) as customers_at_snapshot
    from flows
    group by snapshot_date
),

spine_totals as (
    select
        month_spine.period_end as snapshot_date,
        coalesce(snapshot_totals.customers_from_a_stage, 0)
            as customers_from_a_stage,
        coalesce(snapshot_totals.customers_at_snapshot, 0)
            as customers_at_snapshot,
        coalesce(lag(snapshot_totals.customers_at_snapshot) over (
            order by month_spine.period_end
        ), 0) as customers_at_previous_snapshot
    from month_spine
    left join snapshot_totals
        on month_spine.period_end = snapshot_totals.snapshot_date
),

unmatched_snapshots as (
    select
        snapshot_totals.snapshot_date,
        snapshot_totals.customers_from_a_stage,
        snapshot_totals.customers_at_snapshot,
        cast(null as {{ dbt.type_bigint() }}) as customers_at_previous_snapshot
    from snapshot_totals
    left join month_spine
        on snapshot_totals.snapshot_date = month_spine.period_end
    where month_spine.period_end is null
),

final as (
    select * from spine_totals
    where
        customers_from_a_stage != customers_at_previous_snapshot
        or customers_at_snapshot = 0
    union all
    select * from unmatched_snapshots
)

select * from final
