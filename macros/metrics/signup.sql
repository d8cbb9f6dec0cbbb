{#
    Signup formulas of METRICS.md "Signup conversion" and "Product (event)
    retention": time from signup to the first purchase, day-N eligibility of
    a signup cohort, conversion by day N. One home each; int_customer_signups,
    signup_conversion, customers and activity_retention call them.
#}

{#
    A signup counts on or before as_of_date; a later signup counts as no
    signup (METRICS.md "Readings fixed for the second wave"): NULL.
#}
{% macro signup_date_as_of(signup_date, as_of_date) -%}
    case
        when {{ signup_date }} <= {{ as_of_date }} then {{ signup_date }}
    end
{%- endmacro %}


{#
    days_to_first_purchase = first purchase date - signup date, in days.
    A purchase before signup gives 0 (never negative); NULL without a
    purchase or without a signup.
#}
{% macro days_to_first_purchase(signup_date, first_purchase_date) -%}
    case
        when {{ first_purchase_date }} < {{ signup_date }} then 0
        else {{ days_between(signup_date, first_purchase_date) }}
    end
{%- endmacro %}


{#
    Day N of a signup cohort is observable when signup date + N <=
    as_of_date (Amplitude excludes cohorts that have not reached day N; so
    do day-N retention and signup conversion).
#}
{% macro day_n_is_eligible(signup_date, day_n, as_of_date) -%}
    ({{ add_days(signup_date, day_n) }} <= {{ as_of_date }})
{%- endmacro %}


{#
    Converted by day N: a first purchase at most N days after signup (a
    purchase before signup counts as day 0). False without a purchase.
#}
{% macro is_converted_by_day_n(days_to_first_purchase, day_n) -%}
    coalesce({{ days_to_first_purchase }} <= {{ day_n }}, false)
{%- endmacro %}


{# conversion_rate = converted / eligible; NULL while nobody is eligible. #}
{% macro conversion_rate(converted_customers, eligible_customers) -%}
    {{ safe_ratio(converted_customers, eligible_customers) }}
{%- endmacro %}
