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
