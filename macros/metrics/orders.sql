{#
    Building blocks of METRICS.md: what a purchase is and what it is worth.
#}

{# net_revenue = order_amount - coalesce(refunded_amount, 0) #}
{% macro net_revenue(order_amount, refunded_amount) -%}
    cast({{ order_amount }} - coalesce({{ refunded_amount }}, 0) as {{ type_money() }})
{%- endmacro %}


{# gross_margin = net_revenue - cost_amount; net revenue when cost is unknown. #}
{% macro gross_margin(net_revenue_expr, cost_amount) -%}
    cast({{ net_revenue_expr }} - coalesce({{ cost_amount }}, 0) as {{ type_money() }})
{%- endmacro %}


{# Fully refunded: refunded_amount >= order_amount with order_amount > 0. #}
{% macro is_fully_refunded(order_amount, refunded_amount) -%}
    ({{ order_amount }} > 0 and coalesce({{ refunded_amount }}, 0) >= {{ order_amount }})
{%- endmacro %}


{#
    A purchase: normalized status in purchase_statuses and not fully refunded.
    status_expr must already be lower-cased and trimmed.
#}
{% macro is_purchase(status_expr, order_amount, refunded_amount) -%}
    (
        {{ status_expr }} in (
            {%- for status in get_purchase_statuses() -%}
                '{{ status }}'{{ ", " if not loop.last }}
            {%- endfor -%}
        )
        and not {{ is_fully_refunded(order_amount, refunded_amount) }}
    )
{%- endmacro %}
