{#
    The measure columns shared by cohort_retention and
    cohort_retention_by_channel, computed from summed counts and amounts
    (cohort_size, active_customers, retained_on_or_after, purchases,
    net_revenue, gross_margin, cumulative_net_revenue,
    cumulative_gross_margin). Rates go through their formula macros.
#}
{% macro cohort_retention_measures() -%}
    cast(cohort_size as {{ dbt.type_bigint() }}) as cohort_size,
    cast(active_customers as {{ dbt.type_bigint() }}) as active_customers,
    {{ retention_rate('active_customers', 'cohort_size') }}
        as retention_rate,
    cast(retained_on_or_after as {{ dbt.type_bigint() }})
        as retained_on_or_after,
    {{ rolling_retention_rate('retained_on_or_after', 'cohort_size') }}
        as rolling_retention_rate,
    cast(purchases as {{ dbt.type_bigint() }}) as purchases,
    cast(net_revenue as {{ type_money() }}) as net_revenue,
    cast(gross_margin as {{ type_money() }}) as gross_margin,
    cast(cumulative_net_revenue as {{ type_money() }})
        as cumulative_net_revenue,
    cast(cumulative_gross_margin as {{ type_money() }})
        as cumulative_gross_margin,
    {{ per_customer('cumulative_net_revenue', 'cohort_size') }}
        as cumulative_net_revenue_per_customer,
    {{ per_customer('cumulative_gross_margin', 'cohort_size') }}
        as cumulative_gross_margin_per_customer
{%- endmacro %}


{#
    The CTEs `last_active_period` (per customer) and `flagged` (the rows of
    `customer_cohorts_cte` with is_active and is_retained_on_or_after as
    0/1) that every cohort retention rollup starts from.
#}
{% macro cohort_retention_flagged_ctes(customer_cohorts_cte='customer_cohorts') -%}
last_active_period as (
    select
        customer_id,
        max(
            case when is_active_in_period then period_number end
        ) as last_active_period_number
    from {{ customer_cohorts_cte }}
    group by customer_id
),

flagged as (
    select
        {{ customer_cohorts_cte }}.*,
        case when {{ customer_cohorts_cte }}.is_active_in_period then 1 else 0 end
            as is_active,
        case
            when
                last_active_period.last_active_period_number
                >= {{ customer_cohorts_cte }}.period_number
                then 1
            else 0
        end as is_retained_on_or_after
    from {{ customer_cohorts_cte }}
    inner join last_active_period
        on {{ customer_cohorts_cte }}.customer_id = last_active_period.customer_id
)
{%- endmacro %}


{#
    The sums a cohort retention rollup groups (inputs of
    cohort_retention_measures), over rows of `flagged`.
#}
{% macro cohort_retention_sums() -%}
    min(period_start) as period_start,
    count(*) as cohort_size,
    sum(is_active) as active_customers,
    sum(is_retained_on_or_after) as retained_on_or_after,
    sum(purchases_in_period) as purchases,
    sum(net_revenue_in_period) as net_revenue,
    sum(gross_margin_in_period) as gross_margin,
    sum(cumulative_net_revenue) as cumulative_net_revenue,
    sum(cumulative_gross_margin) as cumulative_gross_margin,
    {{ dbt.bool_or('is_complete_period') }} as is_complete_period
{%- endmacro %}


{#
    cohort_retention_sums() over rows that already hold them (a rollup of
    partial rollups, e.g. per segment value from per combination of
    segment values): the same columns, summed again.
#}
{% macro cohort_retention_sums_of_sums() -%}
    min(period_start) as period_start,
    sum(cohort_size) as cohort_size,
    sum(active_customers) as active_customers,
    sum(retained_on_or_after) as retained_on_or_after,
    sum(purchases) as purchases,
    sum(net_revenue) as net_revenue,
    sum(gross_margin) as gross_margin,
    sum(cumulative_net_revenue) as cumulative_net_revenue,
    sum(cumulative_gross_margin) as cumulative_gross_margin,
    {{ dbt.bool_or('is_complete_period') }} as is_complete_period
{%- endmacro %}
