{{ config(
    on_schema_change='append_new_columns',
    **incremental_config(
        unique_key='customer_id',
        partition_by=none,
        tombstone='purchase_date is null',
    )
) }}

{#
    One row per customer per purchase date: same-day purchases merge into one
    purchase day (the Fader/Hardie and lifetimes convention). The
    customer-level models (int_customer_purchase_stats, int_active_spells,
    int_customers_assigned_to_cohorts) read these rows, not the orders.
    Incremental (docs/incremental.md, "Incremental marts"): a run rewrites
    every row of the customers whose purchase days (date, purchases, net
    revenue, gross margin) differ from the rows the table holds, compared
    exactly, so a late, changed, re-assigned or refunded order of any
    lateness and an as_of_date moved back are found; a customer left without
    purchases gets a tombstone (NULL purchase_date) that the post-hook
    deletes. On Spark it stays a table (partition_by=none: there is no
    partition a customer's rows could be rewritten by).
    Each row also carries the customer's running measures (first purchase
    date, next purchase day, net revenue to date), which
    int_customer_stage_snapshots reads instead of computing them again
    over every purchase day on every run: a rewrite of a customer's rows
    rewrites them too.
#}
{%- if is_incremental() %}
    {#- A table built before has_cost or the running measures existed:
        every customer is rewritten once (on_schema_change adds the columns;
        a NULL has_cost compares as different). In a unit test `this` is
        the name of the fixture, a string. #}
    {%- set previous_has_cost = 'previous.has_cost' %}
    {%- set rewrite_every_customer = false %}
    {%- if this is not string %}
        {%- set stored_columns = adapter.get_columns_in_relation(this)
            | map(attribute='name') | map('lower') | list %}
        {%- if 'has_cost' not in stored_columns %}
            {%- set previous_has_cost = 'cast(null as boolean)' %}
        {%- endif %}
        {%- set rewrite_every_customer = 'net_revenue_to_date'
            not in stored_columns %}
    {%- endif %}
{%- endif %}

with

purchases as (
    select * from {{ ref('retention', 'int_purchases') }}
),

days as (
    select
        customer_id,
        order_date as purchase_date,
        count(*) as purchases,
        cast(sum(net_revenue) as {{ type_money() }}) as net_revenue,
        cast(sum(gross_margin) as {{ type_money() }}) as gross_margin,
        min(case when has_cost then 1 else 0 end) = 1 as has_cost
    from purchases
    group by customer_id, order_date
),

{% if is_incremental() %}

    previous as (
        select * from {{ this }}
    ),

    {# Every purchase day against the table's: a day added, gone or with
        other numbers marks its customer (null-safe: a NULL sum equals a
        NULL sum only). #}
    changed_customers as (
        select coalesce(days.customer_id, previous.customer_id) as customer_id
        from days
        full outer join previous
            on
                days.customer_id = previous.customer_id
                and days.purchase_date = previous.purchase_date
        where
            days.customer_id is null
            or previous.customer_id is null
            or days.purchases != previous.purchases
            or days.net_revenue is distinct from previous.net_revenue
            or days.gross_margin is distinct from previous.gross_margin
            or days.has_cost is distinct from {{ previous_has_cost }}
            {%- if rewrite_every_customer %}
            or true
            {%- endif %}
        group by coalesce(days.customer_id, previous.customer_id)
    ),

    recomputed_days as (
        select days.*
        from days
        inner join changed_customers
            on days.customer_id = changed_customers.customer_id
    ),

{% else %}

    recomputed_days as (
        select * from days
    ),

{% endif %}

sequenced as (
    select
        *,
        row_number() over (
            partition by customer_id order by purchase_date
        ) as purchase_day_number,
        lag(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as previous_purchase_date,
        first_value(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as first_purchase_date,
        lead(purchase_date) over (
            partition by customer_id order by purchase_date
        ) as next_purchase_date,
        sum(net_revenue) over (
            partition by customer_id order by purchase_date
            rows between unbounded preceding and current row
        ) as net_revenue_to_date
    from recomputed_days
),

day_rows as (
    select
        customer_id,
        purchase_date,
        purchase_day_number,
        previous_purchase_date,
        {{ days_between('previous_purchase_date', 'purchase_date') }}
            as days_since_previous_purchase,
        purchases,
        net_revenue,
        gross_margin,
        has_cost,
        first_purchase_date,
        next_purchase_date,
        cast(net_revenue_to_date as {{ type_money() }}) as net_revenue_to_date
    from sequenced
),

{% if is_incremental() %}

    {# A changed customer without any purchase day left: one tombstone row
        deletes its rows. #}
    tombstones as (
        select
            changed_customers.customer_id,
            cast(null as date) as purchase_date,
            cast(null as {{ dbt.type_bigint() }}) as purchase_day_number,
            cast(null as date) as previous_purchase_date,
            cast(null as integer) as days_since_previous_purchase,
            cast(null as {{ dbt.type_bigint() }}) as purchases,
            cast(null as {{ type_money() }}) as net_revenue,
            cast(null as {{ type_money() }}) as gross_margin,
            cast(null as boolean) as has_cost,
            cast(null as date) as first_purchase_date,
            cast(null as date) as next_purchase_date,
            cast(null as {{ type_money() }}) as net_revenue_to_date
        from changed_customers
        left join recomputed_days
            on changed_customers.customer_id = recomputed_days.customer_id
        where recomputed_days.customer_id is null
    ),

    final as (
        select * from day_rows
        union all
        select * from tombstones
    )

{% else %}

    final as (
        select * from day_rows
    )

{% endif %}

select * from final
