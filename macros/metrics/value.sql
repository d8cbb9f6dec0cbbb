{#
    Value, repeat and revenue-retention formulas of METRICS.md ("Value",
    "Repeat and revenue retention", "Time between purchases"). Rates are
    fractions; a zero denominator gives NULL.
#}

{# aov = net_revenue / purchases (orders). #}
{% macro aov(net_revenue_expr, purchases) -%}
    {{ safe_ratio(net_revenue_expr, purchases) }}
{%- endmacro %}


{# purchase_frequency = purchases / active customers. #}
{% macro purchase_frequency(purchases, active_customers) -%}
    {{ safe_ratio(purchases, active_customers) }}
{%- endmacro %}


{# repeat_purchase_rate = customers with >= 2 purchase days / customers with >= 1. #}
{% macro repeat_purchase_rate(repeat_customers, customers) -%}
    {{ safe_ratio(repeat_customers, customers) }}
{%- endmacro %}


{# returning_revenue_share = revenue from earlier-acquired customers / revenue. #}
{% macro returning_revenue_share(returning_revenue, net_revenue_expr) -%}
    {{ safe_ratio(returning_revenue, net_revenue_expr) }}
{%- endmacro %}


{# repeat_rate_180d = new customers with a 2nd purchase day within 180 days / new customers. #}
{% macro repeat_rate_180d(repeaters, new_customers) -%}
    {{ safe_ratio(repeaters, new_customers) }}
{%- endmacro %}


{# Net revenue retention: base customers' current revenue / their base revenue. #}
{% macro net_revenue_retention(current_revenue, base_revenue) -%}
    {{ safe_ratio(current_revenue, base_revenue) }}
{%- endmacro %}


{#
    Gross revenue retention: the same with each customer's current revenue
    capped at their base revenue (expansion does not count).
#}
{% macro gross_revenue_retention(capped_current_revenue, base_revenue) -%}
    {{ safe_ratio(capped_current_revenue, base_revenue) }}
{%- endmacro %}


{# cac = spend / new customers; NULL when nothing was spent or nobody came. #}
{% macro cac(spend, new_customers) -%}
    case
        when {{ spend }} = 0 then null
        else {{ safe_ratio(spend, new_customers) }}
    end
{%- endmacro %}


{# ltv_to_cac = ltv / cac; NULL when either is NULL or cac is 0. #}
{% macro ltv_to_cac(ltv, cac_expr) -%}
    {{ safe_ratio(ltv, cac_expr) }}
{%- endmacro %}


{#
    formula_cltv = average monthly gross margin per active customer x
    expected lifetime in months (1 / average monthly churn rate); NULL when
    churn is 0.
#}
{% macro formula_cltv(avg_margin_per_active_customer, avg_churn_rate) -%}
    {{ safe_ratio(avg_margin_per_active_customer, avg_churn_rate) }}
{%- endmacro %}


{#
    Mean days between purchases of one customer = (last - first purchase
    date) / (purchase days - 1); NULL with a single purchase day.
#}
{% macro avg_days_between_purchases(first_date, last_date, purchase_days) -%}
    {{ safe_ratio(days_between(first_date, last_date),
        '(' ~ purchase_days ~ ' - 1)') }}
{%- endmacro %}


{# Day-N product retention and activation: counts / their denominator. #}
{% macro day_n_retention_rate(retained, eligible) -%}
    {{ safe_ratio(retained, eligible) }}
{%- endmacro %}

{% macro activation_rate(activated, cohort_size) -%}
    {{ safe_ratio(activated, cohort_size) }}
{%- endmacro %}
