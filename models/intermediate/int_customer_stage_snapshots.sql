{{ config(**incremental_config(
    unique_key='snapshot_date',
    partition_by='snapshot_date',
    tombstone='customer_id is null',
)) }}

{#
    One row per customer x snapshot date: the customer's lifecycle stage
    (METRICS.md "Lifecycle stage") evaluated as if as_of_date were the
    snapshot date, from the purchase days on or before it. Snapshot dates
    are the period_end of int_month_spine: every month end before as_of_date
    from the end of the first purchase month, plus as_of_date. A customer
    has a row at every snapshot on or after their first purchase date.
    The one home of the stage: the customers mart reads its as_of_date row,
    lifecycle_flows every row.

    Set-based, no customer x snapshot x purchase join: the running totals
    of the purchase days (int_purchase_days carries them), and each purchase
    day holds from its date until the next one, so a snapshot joins exactly
    the last purchase day on or before it.

    Incremental (docs/incremental.md, "Incremental marts"): a snapshot's
    rows depend only on the purchase days on or before it, so a run
    recomputes whole snapshot dates, from the earliest of: the latest
    snapshot in the table (the last as_of_date), the new as_of_date, and the
    earliest month end whose purchase days changed. Changed month ends are
    found by comparing, per customer and month with purchases, the last
    purchase day's running measures with the table's row at that month end.
    A snapshot date that left the spine gets a tombstone (NULL customer_id):
    deleted by the post-hook on DuckDB and Postgres; on Spark, where the
    table is partitioned by snapshot_date (incremental_config), its
    partition is dropped.
#}
with

purchase_days as (
    select * from {{ ref('retention', 'int_purchase_days') }}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

as_of as (
    select * from {{ ref('retention', 'int_as_of_date') }}
),

{# The running measures of each purchase day come with it
    (int_purchase_days keeps them up to date per customer). #}
running_totals as (
    select
        customer_id,
        purchase_date,
        purchase_day_number,
        days_since_previous_purchase,
        first_purchase_date,
        next_purchase_date,
        net_revenue_to_date
    from purchase_days
),

{% if is_incremental() %}

    previous as (
        select * from {{ this }}
    ),

    previous_bounds as (
        select
            least(
                coalesce(
                    (select max(previous.snapshot_date) from previous),
                    as_of.as_of_date
                ),
                as_of.as_of_date
            ) as unchanged_before
        from as_of
    ),

    {# Per customer and month end before unchanged_before: the last purchase
        day of the month and its running measures, as the data says now ... #}
    current_month_ends as (
        select
            running_totals.customer_id,
            {{ period_end(period_start('running_totals.purchase_date', 'month'),
                'month') }} as snapshot_date,
            running_totals.first_purchase_date,
            running_totals.purchase_date as last_purchase_date,
            running_totals.purchase_day_number as purchase_days,
            cast(running_totals.net_revenue_to_date as {{ type_money() }})
                as net_revenue,
            running_totals.days_since_previous_purchase as last_gap_days
        from running_totals
        cross join previous_bounds
        where
            (
                running_totals.next_purchase_date is null
                or {{ period_start('running_totals.next_purchase_date', 'month') }}
                > {{ period_start('running_totals.purchase_date', 'month') }}
            )
            and {{ period_end(period_start('running_totals.purchase_date',
                'month'), 'month') }} < previous_bounds.unchanged_before
    ),

    {# ... and as the table holds them (rows whose last purchase day falls
        in the snapshot's month). #}
    previous_month_ends as (
        select
            previous.customer_id,
            previous.snapshot_date,
            previous.first_purchase_date,
            previous.last_purchase_date,
            previous.purchase_days,
            previous.net_revenue,
            previous.last_gap_days
        from previous
        cross join previous_bounds
        where
            previous.snapshot_date < previous_bounds.unchanged_before
            and {{ period_start('previous.last_purchase_date', 'month') }}
            = {{ period_start('previous.snapshot_date', 'month') }}
    ),

    changed_month_ends as (
        select coalesce(current_month_ends.snapshot_date,
            previous_month_ends.snapshot_date) as snapshot_date
        from current_month_ends
        full outer join previous_month_ends
            on
                current_month_ends.customer_id = previous_month_ends.customer_id
                and current_month_ends.snapshot_date
                = previous_month_ends.snapshot_date
        where
            current_month_ends.customer_id is null
            or previous_month_ends.customer_id is null
            or current_month_ends.first_purchase_date
            != previous_month_ends.first_purchase_date
            or current_month_ends.last_purchase_date
            != previous_month_ends.last_purchase_date
            or current_month_ends.purchase_days
            != previous_month_ends.purchase_days
            or current_month_ends.net_revenue != previous_month_ends.net_revenue
            or coalesce(current_month_ends.last_gap_days, -1)
            != coalesce(previous_month_ends.last_gap_days, -1)
    ),

    recompute_window as (
        select
            least(
                previous_bounds.unchanged_before,
                coalesce(
                    (
                        select min(changed_month_ends.snapshot_date)
                        from changed_month_ends
                    ),
                    previous_bounds.unchanged_before
                )
            ) as recompute_from
        from previous_bounds
    ),

{% else %}

    {# A full build computes every snapshot. #}
    recompute_window as (
        select min(period_end) as recompute_from
        from month_spine
    ),

{% endif %}

recomputed_snapshots as (
    select month_spine.period_end
    from month_spine
    cross join recompute_window
    where month_spine.period_end >= recompute_window.recompute_from
),

{# A purchase day is the customer's latest one from its date until the
    next purchase day (or beyond as_of_date for the last one). #}
holding_spans as (
    select
        running_totals.*,
        coalesce(
            running_totals.next_purchase_date,
            {{ add_days('as_of.as_of_date', 1) }}
        ) as held_until
    from running_totals
    cross join as_of
),

snapshot_measures as (
    select
        recomputed_snapshots.period_end as snapshot_date,
        holding_spans.customer_id,
        holding_spans.first_purchase_date,
        holding_spans.purchase_date as last_purchase_date,
        holding_spans.purchase_day_number as purchase_days,
        holding_spans.days_since_previous_purchase as last_gap_days,
        cast(holding_spans.net_revenue_to_date as {{ type_money() }})
            as net_revenue,
        {{ avg_days_between_purchases('holding_spans.first_purchase_date',
            'holding_spans.purchase_date',
            'holding_spans.purchase_day_number') }}
            as avg_days_between_purchases,
        {{ days_between('holding_spans.purchase_date',
            'recomputed_snapshots.period_end') }} as recency_days,
        {{ days_between('holding_spans.first_purchase_date',
            'recomputed_snapshots.period_end') }} as tenure_days
    from holding_spans
    inner join recomputed_snapshots
        on
            holding_spans.purchase_date <= recomputed_snapshots.period_end
            and holding_spans.held_until > recomputed_snapshots.period_end
),

scored as (
    select
        *,
        {{ rfm_score('recency_days desc', 'snapshot_date') }}
            as rfm_recency_score,
        {{ rfm_score('purchase_days asc', 'snapshot_date') }}
            as rfm_frequency_score,
        {{ rfm_score('net_revenue asc', 'snapshot_date') }}
            as rfm_monetary_score
    from snapshot_measures
),

snapshot_rows as (
    select
        snapshot_date,
        customer_id,
        first_purchase_date,
        last_purchase_date,
        cast(purchase_days as {{ dbt.type_bigint() }}) as purchase_days,
        net_revenue,
        cast(last_gap_days as integer) as last_gap_days,
        avg_days_between_purchases,
        cast(recency_days as integer) as recency_days,
        cast(tenure_days as integer) as tenure_days,
        cast(rfm_recency_score as integer) as rfm_recency_score,
        cast(rfm_frequency_score as integer) as rfm_frequency_score,
        cast(rfm_monetary_score as integer) as rfm_monetary_score,
        {{ lifecycle_stage(
            'recency_days', 'tenure_days', 'purchase_days', 'last_gap_days',
            'avg_days_between_purchases', 'rfm_recency_score',
            'rfm_frequency_score', 'rfm_monetary_score'
        ) }} as lifecycle_stage
    from scored
),

{% if is_incremental() %}

    {# Snapshot dates of the table from recompute_from on that are no longer
        in the spine (the last as_of_date when it is not a month end). #}
    tombstones as (
        select distinct
            previous.snapshot_date,
            cast(null as {{ dbt.type_string() }}) as customer_id
        from previous
        cross join recompute_window
        left join month_spine
            on previous.snapshot_date = month_spine.period_end
        where
            previous.snapshot_date >= recompute_window.recompute_from
            and month_spine.period_end is null
    ),

    final as (
        select * from snapshot_rows
        union all
        select
            tombstones.snapshot_date,
            tombstones.customer_id,
            {%- for column in ['first_purchase_date', 'last_purchase_date'] %}
            cast(null as date) as {{ column }},
            {%- endfor %}
            cast(null as {{ dbt.type_bigint() }}) as purchase_days,
            cast(null as {{ type_money() }}) as net_revenue,
            cast(null as integer) as last_gap_days,
            cast(null as {{ dbt.type_float() }}) as avg_days_between_purchases,
            {%- for column in ['recency_days', 'tenure_days', 'rfm_recency_score',
                'rfm_frequency_score', 'rfm_monetary_score'] %}
            cast(null as integer) as {{ column }},
            {%- endfor %}
            cast(null as {{ dbt.type_string() }}) as lifecycle_stage
        from tombstones
    )

{% else %}

    final as (
        select * from snapshot_rows
    )

{% endif %}

select * from final
