{#
    Churn activity rule of METRICS.md: a customer is active on day d when
    their last purchase date p <= d satisfies d - p < churn_window_days.
    One purchase therefore keeps a customer active from p through
    p + churn_window_days - 1; the macros below derive spells from that.
#}

{# The last day a purchase on purchase_date keeps its customer active. #}
{% macro active_through_date(purchase_date) -%}
    {{ add_days(purchase_date, get_churn_window_days() - 1) }}
{%- endmacro %}


{#
    A purchase day starts a new active spell when the gap since the previous
    purchase day leaves at least one inactive day: gap > churn_window_days.
    A gap of exactly churn_window_days keeps the customer active throughout.
#}
{% macro starts_new_active_spell(days_since_previous_purchase) -%}
    ({{ days_since_previous_purchase }} is null
        or {{ days_since_previous_purchase }} > {{ get_churn_window_days() }})
{%- endmacro %}
