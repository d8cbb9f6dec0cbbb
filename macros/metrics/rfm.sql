{#
    RFM formulas: the lifetimes-compatible summary (METRICS.md "RFM summary")
    and the quintile scores of the customers mart.
#}

{# A span of days in rfm_time_unit_days units (recency and t). #}
{% macro rfm_duration(days_expr) -%}
    cast({{ days_expr }} as {{ type_ratio() }}) / {{ get_rfm_time_unit_days() }}
{%- endmacro %}


{#
    monetary_value = mean net revenue per purchase day over the purchase days
    after the first; 0 when frequency = 0.
#}
{% macro rfm_monetary_value(repeat_net_revenue, frequency) -%}
    case
        when {{ frequency }} = 0 then cast(0 as {{ type_ratio() }})
        else {{ safe_ratio(repeat_net_revenue, frequency) }}
    end
{%- endmacro %}


{#
    A quintile score 1..5 (5 = best): ntile(5) over the customers ordered from
    worst to best, ties broken by customer_id so the result is deterministic.
    With partition_by, one ranking per value of that column (the snapshot
    date of int_customer_stage_snapshots: the customers with a purchase by
    that date).
#}
{% macro rfm_score(worst_to_best_order, partition_by=none) -%}
    ntile(5) over (
        {%- if partition_by %}partition by {{ partition_by }} {% endif -%}
        order by {{ worst_to_best_order }}, customer_id asc
    )
{%- endmacro %}


{#
    Lifecycle stage, first match wins (METRICS.md "Lifecycle stage"), from a
    customer's measures on one date: as_of_date for the customers mart, any
    snapshot date for lifecycle_flows. Its one caller is
    int_customer_stage_snapshots, which both marts read.
#}
{% macro lifecycle_stage(
    recency_days, tenure_days, purchase_days, last_gap_days,
    avg_days_between, r_score, f_score, m_score
) -%}
    {%- set window = get_churn_window_days() -%}
    case
        when {{ recency_days }} >= {{ window }} then 'churned'
        when {{ purchase_days }} = 1 and {{ tenure_days }} < 30 then 'new'
        when {{ last_gap_days }} > {{ window }} and {{ recency_days }} < 30
            then 'reactivated'
        when {{ r_score }} >= 4 and {{ f_score }} >= 4 and {{ m_score }} >= 4
            then 'champion'
        when
            ({{ purchase_days }} >= 2
                and {{ recency_days }} > 2 * {{ avg_days_between }})
            or ({{ purchase_days }} = 1
                and {{ recency_days }} >= {{ window }} / 2.0)
            then 'at_risk'
        else 'active'
    end
{%- endmacro %}
