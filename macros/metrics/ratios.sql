{#
    One home for every rate of METRICS.md. A rate whose denominator is 0 (or
    NULL) is NULL, never 0 and never an error. Rates are fractions in [0, 1].
#}

{# numerator / denominator as a ratio; NULL when the denominator is 0. #}
{% macro safe_ratio(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as {{ type_ratio() }})
            / cast({{ denominator }} as {{ type_ratio() }})
    end
{%- endmacro %}


{# Cohort retention: active customers in period k / cohort size. #}
{% macro retention_rate(active_customers, cohort_size) -%}
    {{ safe_ratio(active_customers, cohort_size) }}
{%- endmacro %}


{# "On or after" (rolling, unbounded) retention: retained_on_or_after / cohort size. #}
{% macro rolling_retention_rate(retained_on_or_after, cohort_size) -%}
    {{ safe_ratio(retained_on_or_after, cohort_size) }}
{%- endmacro %}


{# Churn: customers active at the start who are not active at the end / S. #}
{% macro churn_rate(churned_customers, customers_start) -%}
    {{ safe_ratio(churned_customers, customers_start) }}
{%- endmacro %}


{# Period retention of the churn mart: retained / S = 1 - churn_rate. #}
{% macro period_retention_rate(retained_customers, customers_start) -%}
    {{ safe_ratio(retained_customers, customers_start) }}
{%- endmacro %}


{#
    Classic customer retention rate (E - N) / S, with N the new customers
    still active at the end of the period.
#}
{% macro customer_retention_rate(customers_end, new_customers_active_end, customers_start) -%}
    {{ safe_ratio('(' ~ customers_end ~ ' - ' ~ new_customers_active_end ~ ')', customers_start) }}
{%- endmacro %}


{# An amount spread over customers (LTV curve points): amount / customers. #}
{% macro per_customer(amount, customers) -%}
    {{ safe_ratio(amount, customers) }}
{%- endmacro %}
