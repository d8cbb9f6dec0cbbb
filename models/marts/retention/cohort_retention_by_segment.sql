{#
    Cohort retention and LTV curves per segment dimension x value x
    cohort_period x period_number (METRICS.md "Segments"): the customer x
    period cohort table joined to each customer's value of every dimension
    of segment_dimensions. Summed over segment_value, the counts of a
    segment equal cohort_retention; rates are recomputed from the sums.
#}
with

customer_cohorts as (
    select * from {{ ref('retention', 'customer_cohorts') }}
),

segments as (
    select * from {{ ref('retention', 'int_customer_segments') }}
),

{{ cohort_retention_flagged_ctes() }},

customer_segment_values as (
    {{ segment_combination_columns('segments') | indent(4) }}
),

{# partial sums per combination of segment values, then per value #}
combination_sums as (
    select
        {{- segment_value_columns() | indent(4) }}
        flagged.cohort_period,
        flagged.period_number,
        {{ cohort_retention_sums() | indent(8) }}
    from flagged
    inner join customer_segment_values
        on flagged.customer_id = customer_segment_values.customer_id
    group by
        {{- segment_value_columns() | indent(4) }}
        flagged.cohort_period,
        flagged.period_number
),

segmented as (
    {{ unpivot_segment_combinations('combination_sums', [
        'cohort_period', 'period_number', 'period_start', 'cohort_size',
        'active_customers', 'retained_on_or_after', 'purchases',
        'net_revenue', 'gross_margin', 'cumulative_net_revenue',
        'cumulative_gross_margin', 'is_complete_period']) | indent(4) }}
),

aggregated as (
    select
        segment,
        segment_value,
        cohort_period,
        period_number,
        {{ cohort_retention_sums_of_sums() | indent(8) }}
    from segmented
    group by segment, segment_value, cohort_period, period_number
),

final as (
    select
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cohort_period,
        cast(period_number as integer) as period_number,
        period_start,
        {{ cohort_retention_measures() | indent(8) }},
        is_complete_period
    from aggregated
)

select * from final
