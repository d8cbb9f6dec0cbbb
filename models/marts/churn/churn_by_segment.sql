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

all_spells as (
    select * from {{ ref('retention', 'int_active_spells') }}
),

all_customers as (
    select * from {{ ref('retention', 'int_customers_assigned_to_cohorts') }}
),

month_spine as (
    select * from {{ ref('retention', 'int_month_spine') }}
),

customers as (
    select
        segments.segment,
        segments.segment_value,
        all_customers.customer_id,
        all_customers.first_purchase_date
    from all_customers
    inner join segments
        on all_customers.customer_id = segments.customer_id
),

spells as (
    select
        segments.segment,
        segments.segment_value,
        all_spells.customer_id,
        all_spells.spell_start_date,
        all_spells.spell_end_date
    from all_spells
    inner join segments
        on all_spells.customer_id = segments.customer_id
),

value_first_months as (
    select
        segment,
        segment_value,
        {{ period_start('min(first_purchase_date)', 'month') }}
            as first_month
    from customers
    group by segment, segment_value
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

{{ churn_count_ctes('spine', 'spells', 'customers',
    keys=['segment', 'segment_value'],
    shared_keys=['segment', 'segment_value']) }}

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
