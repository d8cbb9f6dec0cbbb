{#
    Monthly churn per segment dimension x value (METRICS.md "Segments" and
    "Churn"): the counts of churn over the customers of each value, from the
    value's first purchase month through the month containing as_of_date.
    Summed over segment_value they equal churn; rates are recomputed from
    the sums.
#}
with

segments as (
    select * from {{ ref('retention', 'int_customer_segments') }}
),

spells as (
    select * from {{ ref('retention', 'int_active_spells') }}
),

customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

value_first_months as (
    select
        segments.segment,
        segments.segment_value,
        {{ period_start('min(customers.first_purchase_date)', 'month') }}
            as first_month
    from customers
    inner join segments
        on customers.customer_id = segments.customer_id
    group by segments.segment, segments.segment_value
),

spine as (
    select
        value_first_months.segment,
        value_first_months.segment_value,
        month_spine.period_start,
        month_spine.period_end,
        month_spine.day_before_start,
        month_spine.is_complete_period
    from value_first_months
    inner join month_spine
        on value_first_months.first_month <= month_spine.period_start
),

{# spells and customers stay one row per customer: the macro classifies
    each customer once and sums through segments #}
{{ churn_count_ctes('spine', 'spells', 'customers',
    keys=['segment', 'segment_value'],
    shared_keys=['segment', 'segment_value'],
    segments='segments', periods='month_spine') }}

final as (
    select
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        period_start,
        period_end,
        {{ churn_measures() | indent(8) }}
    from churn_period_counts
)

select * from final
