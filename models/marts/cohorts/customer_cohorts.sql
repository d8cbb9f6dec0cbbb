{{ config(
    on_schema_change='fail',
    **incremental_config(
        unique_key=['customer_id', 'period_start'],
        partition_by=none,
        tombstone='cohort_period is null',
    )
) }}

{#
    The cohort table: one row per customer per cohort_grain period, from the
    cohort period through the period containing as_of_date, zero-filled.
    Incremental (docs/incremental.md, "Incremental marts"): a run recomputes
    every customer's rows from the period that held the last as_of_date (the
    only one whose numbers or is_complete_period can change when days are
    added), and every row of the customers whose purchases per period or
    cohort attributes differ from what the table holds. Rows that left the
    grid get a tombstone (NULL cohort_period) that the post-hook deletes.
    DuckDB and Postgres only: on Spark it stays a table (partition_by=none:
    a partition column would move to the end of the contract's columns).
#}
{%- set grain = get_cohort_grain() %}

with

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),

period_numbers as (
    select * from {{ ref('retention', 'int_period_numbers') }}
),

as_of as (
    select
        as_of_date,
        {{ period_start('as_of_date', grain) }} as as_of_period
    from {{ ref('retention', 'int_as_of_date') }}
),

purchases_by_period as (
    select
        customer_id,
        {{ period_start('order_date', grain) }} as period_start,
        count(*) as purchases_in_period,
        sum(net_revenue) as net_revenue_in_period,
        sum(gross_margin) as gross_margin_in_period
    from purchases
    group by customer_id, {{ period_start('order_date', grain) }}
),

{% if is_incremental() %}

    previous as (
        select * from {{ this }}
    ),

    {# Periods from here on are recomputed for every customer: the period
        of the last as_of_date (or of the new one, if it moved back). #}
    recompute_window as (
        select
            least(
                coalesce(
                    (select max(previous.period_start) from previous),
                    as_of.as_of_period
                ),
                as_of.as_of_period
            ) as recompute_from
        from as_of
    ),

    previous_customers as (
        select
            customer_id,
            acquisition_channel,
            cohort_period
        from previous
        where period_number = 0
    ),

    previous_purchases as (
        select
            customer_id,
            period_start,
            purchases_in_period,
            net_revenue_in_period,
            gross_margin_in_period
        from previous
        where purchases_in_period > 0
    ),

    changed_attributes as (
        select coalesce(customers.customer_id, previous_customers.customer_id)
            as customer_id
        from customers
        full outer join previous_customers
            on customers.customer_id = previous_customers.customer_id
        where
            customers.customer_id is null
            or previous_customers.customer_id is null
            or customers.acquisition_channel
            != previous_customers.acquisition_channel
            or customers.cohort_period != previous_customers.cohort_period
    ),

    {# Purchases per period before the recomputed periods, against the
        table: any difference (a late, changed or refunded order) marks the
        customer. Compared exactly (decimal sums). #}
    changed_purchases as (
        select
            coalesce(current_periods.customer_id, previous_purchases.customer_id)
                as customer_id
        from (
            select purchases_by_period.*
            from purchases_by_period
            cross join recompute_window
            where
                purchases_by_period.period_start
                < recompute_window.recompute_from
        ) as current_periods
        full outer join (
            select previous_purchases.*
            from previous_purchases
            cross join recompute_window
            where
                previous_purchases.period_start
                < recompute_window.recompute_from
        ) as previous_purchases
            on
                current_periods.customer_id = previous_purchases.customer_id
                and current_periods.period_start
                = previous_purchases.period_start
        where
            current_periods.customer_id is null
            or previous_purchases.customer_id is null
            or current_periods.purchases_in_period
            != previous_purchases.purchases_in_period
            or cast(current_periods.net_revenue_in_period as {{ type_money() }})
            != previous_purchases.net_revenue_in_period
            or cast(current_periods.gross_margin_in_period as {{ type_money() }})
            != previous_purchases.gross_margin_in_period
    ),

    changed_customers as (
        select customer_id from changed_attributes
        union
        select customer_id from changed_purchases
    ),

    {# Purchases of unchanged customers before the recomputed periods: the
        starting point of their running totals (a changed customer's rows
        are all recomputed, from nothing). #}
    totals_before_window as (
        select
            purchases_by_period.customer_id,
            sum(purchases_by_period.purchases_in_period) as purchases_before,
            sum(purchases_by_period.net_revenue_in_period)
                as net_revenue_before,
            sum(purchases_by_period.gross_margin_in_period)
                as gross_margin_before
        from purchases_by_period
        cross join recompute_window
        left join changed_customers
            on purchases_by_period.customer_id = changed_customers.customer_id
        where
            purchases_by_period.period_start < recompute_window.recompute_from
            and changed_customers.customer_id is null
        group by purchases_by_period.customer_id
    ),

{% else %}

    {# A full build computes every period: nothing comes before. #}
    totals_before_window as (
        select
            customer_id,
            0 as purchases_before,
            0 as net_revenue_before,
            0 as gross_margin_before
        from customers
        where false
    ),

{% endif %}

{# Incremental: only the recomputed periods of everyone and every period of
    a changed customer. #}
customer_periods as (
    select
        customers.customer_id,
        customers.acquisition_channel,
        customers.cohort_period,
        period_numbers.period_number,
        {{ add_periods('customers.cohort_period',
            'period_numbers.period_number', grain) }} as period_start,
        as_of.as_of_date
    from customers
    cross join as_of
    inner join period_numbers
        on period_numbers.period_number <= {{ periods_between(
            'customers.cohort_period', 'as_of.as_of_period', grain) }}
    {%- if is_incremental() %}
    cross join recompute_window
    left join changed_customers
        on customers.customer_id = changed_customers.customer_id
    where
        changed_customers.customer_id is not null
        or {{ add_periods('customers.cohort_period',
            'period_numbers.period_number', grain) }}
        >= recompute_window.recompute_from
    {%- endif %}
),

filled as (
    select
        customer_periods.*,
        coalesce(purchases_by_period.purchases_in_period, 0)
            as purchases_in_period,
        coalesce(purchases_by_period.net_revenue_in_period, 0)
            as net_revenue_in_period,
        coalesce(purchases_by_period.gross_margin_in_period, 0)
            as gross_margin_in_period,
        coalesce(totals_before_window.purchases_before, 0) as purchases_before,
        coalesce(totals_before_window.net_revenue_before, 0)
            as net_revenue_before,
        coalesce(totals_before_window.gross_margin_before, 0)
            as gross_margin_before
    from customer_periods
    left join purchases_by_period
        on
            customer_periods.customer_id = purchases_by_period.customer_id
            and customer_periods.period_start = purchases_by_period.period_start
    left join totals_before_window
        on customer_periods.customer_id = totals_before_window.customer_id
),

grid_rows as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(acquisition_channel as {{ dbt.type_string() }})
            as acquisition_channel,
        cohort_period,
        period_start,
        cast(period_number as integer) as period_number,
        cast(purchases_in_period as {{ dbt.type_bigint() }})
            as purchases_in_period,
        cast(net_revenue_in_period as {{ type_money() }})
            as net_revenue_in_period,
        cast(gross_margin_in_period as {{ type_money() }})
            as gross_margin_in_period,
        purchases_in_period > 0 as is_active_in_period,
        cast(purchases_before + sum(purchases_in_period) over (
            partition by customer_id
            order by period_number
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as cumulative_purchases,
        cast(net_revenue_before + sum(net_revenue_in_period) over (
            partition by customer_id
            order by period_number
            rows between unbounded preceding and current row
        ) as {{ type_money() }}) as cumulative_net_revenue,
        cast(gross_margin_before + sum(gross_margin_in_period) over (
            partition by customer_id
            order by period_number
            rows between unbounded preceding and current row
        ) as {{ type_money() }}) as cumulative_gross_margin,
        {{ period_end('period_start', grain) }} <= as_of_date
            as is_complete_period
    from filled
),

{% if is_incremental() %}

    {# Rows of the table that are no longer in the grid: every row of a
        changed customer that was not recomputed (the customer lost its
        purchases or its cohort period moved), and every row after the
        period of as_of_date (as_of_date moved back). #}
    tombstones as (
        select
            previous.customer_id,
            cast(null as {{ dbt.type_string() }}) as acquisition_channel,
            cast(null as date) as cohort_period,
            previous.period_start,
            cast(null as integer) as period_number,
            cast(null as {{ dbt.type_bigint() }}) as purchases_in_period,
            cast(null as {{ type_money() }}) as net_revenue_in_period,
            cast(null as {{ type_money() }}) as gross_margin_in_period,
            cast(null as boolean) as is_active_in_period,
            cast(null as {{ dbt.type_bigint() }}) as cumulative_purchases,
            cast(null as {{ type_money() }}) as cumulative_net_revenue,
            cast(null as {{ type_money() }}) as cumulative_gross_margin,
            cast(null as boolean) as is_complete_period
        from previous
        cross join as_of
        left join grid_rows
            on
                previous.customer_id = grid_rows.customer_id
                and previous.period_start = grid_rows.period_start
        left join changed_customers
            on previous.customer_id = changed_customers.customer_id
        where
            grid_rows.customer_id is null
            and (
                previous.period_start > as_of.as_of_period
                or changed_customers.customer_id is not null
            )
    ),

    final as (
        select * from grid_rows
        union all
        select * from tombstones
    )

{% else %}

    final as (
        select * from grid_rows
    )

{% endif %}

select * from final
