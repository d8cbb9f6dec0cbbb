{#
    The experiment read-out formulas of METRICS.md "Experiments" (the
    statistics themselves live in statistics.sql). Each returns NULL where
    the value is undefined, never raises. net_revenue_per_customer is
    per_customer() of ratios.sql over the eligible customers.
#}

{#
    A rate metric of an experiment variant (conversion, repeat,
    activation): customers with the outcome / eligible customers; NULL with
    no eligible customer.
#}
{% macro experiment_rate(successes, eligible_customers) -%}
    {{ safe_ratio(successes, eligible_customers) }}
{%- endmacro %}


{# absolute_lift = value - control_value (NULL when either is NULL). #}
{% macro absolute_lift(value, control_value) -%}
    ({{ value }} - {{ control_value }})
{%- endmacro %}


{# relative_lift = value / control_value - 1; NULL when control_value is 0 or NULL. #}
{% macro relative_lift(value, control_value) -%}
    case
        when {{ control_value }} is null or {{ control_value }} = 0 then null
        else cast({{ value }} as {{ type_ratio() }})
            / cast({{ control_value }} as {{ type_ratio() }}) - 1.0
    end
{%- endmacro %}
